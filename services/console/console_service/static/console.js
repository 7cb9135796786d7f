// The control room's few lines of script: apply each server-rendered round (long-polled), draw two
// uPlot charts, and send the fault buttons to the API with the admin token the person typed.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const live = $("live");
  const token = $("admin-token");
  token.value = sessionStorage.getItem("faultline-admin-token") || "";
  token.addEventListener("change", () => sessionStorage.setItem("faultline-admin-token", token.value));

  function chart(el, title, series) {
    const opts = {
      title: title, width: Math.max(el.clientWidth, 320), height: 160,
      scales: { x: { time: true } },
      series: [{}].concat(series.map(([label, stroke]) => ({ label: label, stroke: stroke, width: 2, spanGaps: true }))),
      axes: [{}, { size: 45 }],
    };
    return new uPlot(opts, [[]].concat(series.map(() => [])), el);
  }
  const traffic = chart($("chart-traffic"), "checkouts/s and failed requests/s",
    [["checkouts/s", "#1565c0"], ["failed/s", "#c62828"]]);
  const backlog = chart($("chart-backlog"), "outbox backlog and consumer lag",
    [["outbox backlog", "#6a1b9a"], ["consumer lag", "#ef6c00"]]);

  function apply(state) {
    for (const [id, html] of Object.entries(state.html)) {
      const el = $(id);
      if (el) el.innerHTML = html;
    }
    const s = state.series;
    traffic.setData([s.t, s.checkouts, s.failed]);
    backlog.setData([s.t, s.backlog, s.lag]);
    live.dataset.state = "live";
    live.dataset.at = String(state.at);
    live.textContent = "live · " + new Date(state.at * 1000).toLocaleTimeString();
  }

  // Long polling: each request returns as soon as the server has a newer round, so the page is at most one
  // round behind; stop() lets the request in flight finish, so leaving the page aborts nothing.
  let running = true;
  let version = 0;
  async function poll() {
    while (running) {
      try {
        const response = await fetch("api/view?after=" + version, { cache: "no-store" });
        if (!response.ok) throw new Error("HTTP " + response.status);
        const state = await response.json();
        version = state.version;
        apply(state);
      } catch (error) {
        live.dataset.state = "reconnecting";
        live.textContent = "reconnecting…";
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }
  const polling = poll();
  window.controlRoom = { stop: () => { running = false; return polling; } };

  function say(text, ok) {
    const m = $("action-message");
    m.textContent = text;
    m.className = "message " + (ok ? "ok" : "error");
  }

  async function send(method, url, body) {
    const headers = { "Authorization": "Bearer " + token.value };
    if (body) headers["Content-Type"] = "application/json";
    const response = await fetch(url, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const errors = (answer.errors || []).map((e) => e.field + ": " + e.message).join("; ");
      say(response.status + " " + (answer.title || "") + (answer.detail ? ": " + answer.detail : "") + (errors ? " (" + errors + ")" : ""), false);
      return null;
    }
    return answer;
  }

  document.querySelectorAll("form.fault").forEach((form) => {
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = { kind: form.dataset.kind };
      new FormData(form).forEach((value, name) => {
        if (name === "instance") {
          const [service, replica] = value.split(":");
          body.service = service; body.replica = Number(replica);
        } else if (name === "latency_ms" || name === "skew_ms") {
          body[name] = Number(value);
        } else {
          body[name] = value;
        }
      });
      const answer = await send("POST", "api/faults", body);
      if (answer) say("applied: " + answer.description, true);
    });
  });

  document.addEventListener("click", async (e) => {
    const button = e.target.closest("button.lift");
    if (!button) return;
    const answer = await send("DELETE", "api/faults/" + button.dataset.faultId);
    if (answer) say(answer.lift_verb + ": " + answer.what, true);
  });
})();
