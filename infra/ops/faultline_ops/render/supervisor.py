"""supervisord's configuration: the process manager that restarts crashed programs like a kubelet."""

from __future__ import annotations

from itertools import groupby
from string import Template

from faultline_ops.render import console, haproxy, kafka, mailpit, otel_collector, redis, services, toxiproxy, zipkin
from faultline_ops.render.program import Program
from faultline_ops.settings import Settings

STOP_WAIT_SECONDS = 15
LOG_MAX_BYTES = "10MB"
LOG_BACKUPS = 3

_HEADER = Template("""\
; Rendered by faultline_ops.render.supervisor; edits are overwritten by `faultline up`.
[unix_http_server]
file=$socket
chmod=0700

[supervisord]
logfile=$logs/supervisord.log
logfile_maxbytes=$log_max_bytes
logfile_backups=$log_backups
pidfile=$pidfile
directory=$home
childlogdir=$logs
loglevel=info
minfds=16384

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$socket
""")

_PROGRAM = Template("""
[program:$name]
command=$command
directory=$directory
priority=$priority
autostart=$autostart
autorestart=true
startsecs=1
startretries=20
stopsignal=TERM
stopwaitsecs=$stop_wait
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=$logs/$name.log
stdout_logfile_maxbytes=$log_max_bytes
stdout_logfile_backups=$log_backups
""")


def escape(value: str) -> str:
    """supervisord expands %(name)s in values: a literal % is written %%."""
    return str(value).replace("%", "%%")


def environment_line(environment: tuple[tuple[str, str], ...]) -> str:
    quoted = (
        '{}="{}"'.format(key, escape(value).replace("\\", "\\\\").replace('"', '\\"'))
        for key, value in environment
    )
    return "environment=" + ",".join(quoted) + "\n"


def program_section(settings: Settings, program: Program) -> str:
    text = _PROGRAM.substitute(
        name=program.name,
        command=escape(program.command),
        directory=escape(str(program.directory)),
        priority=program.priority,
        autostart="true" if program.autostart else "false",
        stop_wait=STOP_WAIT_SECONDS,
        logs=escape(str(settings.logs)),
        log_max_bytes=LOG_MAX_BYTES,
        log_backups=LOG_BACKUPS,
    )
    return text + environment_line(program.environment) if program.environment else text


def group_sections(programs: list[Program]) -> str:
    grouped = [p for p in programs if p.group]
    return "".join(
        f"\n[group:{group}]\nprograms={','.join(p.name for p in members)}\n"
        for group, members in groupby(grouped, key=lambda p: p.group)
    )


def infra_programs(settings: Settings) -> list[Program]:
    # HA: the Kafka nodes reach each other through Toxiproxy, so it is infrastructure there.
    links = [toxiproxy.program(settings)] if settings.ha else []
    return [*links, *kafka.programs(settings), *redis.programs(settings), mailpit.program(settings),
            zipkin.program(settings), otel_collector.program(settings)]


def app_programs(settings: Settings) -> list[Program]:
    proxies = [] if settings.ha else [toxiproxy.program(settings)]
    return [haproxy.program(settings), *proxies, *services.programs(settings), console.program(settings)]


def programs(settings: Settings, infra_only: bool) -> list[Program]:
    return infra_programs(settings) + ([] if infra_only else app_programs(settings))


def supervisord_conf(settings: Settings, infra_only: bool = False) -> str:
    return render(settings, programs(settings, infra_only))


def render(settings: Settings, selected: list[Program]) -> str:
    """The whole file for `selected`; `settings` needs only the paths (the cluster's settings have them too)."""
    header = _HEADER.substitute(
        socket=escape(str(settings.supervisor_socket)),
        logs=escape(str(settings.logs)),
        pidfile=escape(str(settings.supervisor_pidfile)),
        home=escape(str(settings.home)),
        log_max_bytes=LOG_MAX_BYTES,
        log_backups=LOG_BACKUPS,
    )
    body = "".join(program_section(settings, p) for p in selected)
    return header + body + group_sections(selected)
