"""`make bench`'s baseline load: GET /livez as fast as each user can, no think time."""
from locust import HttpUser, constant, task


class Prober(HttpUser):
    wait_time = constant(0)

    @task
    def livez(self) -> None:
        self.client.get("/livez", name="GET /livez")
