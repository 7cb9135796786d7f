"""faultline_ops: the `faultline` CLI that runs Faultline's local stack under supervisord."""
