/// The console's only assets, compiled into the binary: no CDN, no fonts, no inline code (the CSP forbids it).
enum ConsoleAssets {
    struct Asset {
        let contentType: String
        let text: String
    }

    static func named(_ name: String) -> Asset? {
        switch name {
        case "console.css": return Asset(contentType: "text/css; charset=utf-8", text: css)
        case "console.js": return Asset(contentType: "text/javascript; charset=utf-8", text: javascript)
        default: return nil
        }
    }

    static let css = """
        :root { --fg: #1d232a; --muted: #5b6670; --line: #d8dee4; --accent: #2f5d8a; --bad: #a32121; --good: #1f6f3f; --bg: #f7f8fa; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #fff; border-bottom: 1px solid var(--line); }
        header .brand { font-weight: 700; color: var(--fg); text-decoration: none; font-size: 16px; }
        nav { display: flex; align-items: center; gap: 16px; flex: 1; }
        nav a { color: var(--muted); text-decoration: none; padding: 4px 0; }
        nav a.active, nav a:hover { color: var(--accent); border-bottom: 2px solid var(--accent); }
        nav .signout { margin-left: auto; display: flex; gap: 8px; align-items: center; }
        .who { color: var(--muted); font-family: ui-monospace, monospace; font-size: 12px; }
        main { padding: 20px 24px; max-width: 1400px; }
        h1 { font-size: 20px; margin: 0 0 12px; } h2 { font-size: 16px; margin: 24px 0 8px; }
        table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
        th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: #eef1f4; font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
        pre { background: #fff; border: 1px solid var(--line); padding: 10px; overflow: auto; max-height: 420px; }
        .error { color: var(--bad); } .ok { color: var(--good); } .muted { color: var(--muted); }
        .notice { padding: 8px 12px; background: #e8f3ec; border: 1px solid #b7dbc4; margin-bottom: 12px; }
        .lock-held { padding: 10px 12px; background: #fbeaea; border: 1px solid #e4b4b4; }
        .lock-free { padding: 10px 12px; background: #e8f3ec; border: 1px solid #b7dbc4; }
        .tag { display: inline-block; padding: 0 6px; border-radius: 3px; background: #eef1f4; font-size: 12px; }
        .added { color: var(--good); } .removed { color: var(--bad); } .changed { color: #8a5a00; }
        form.inline { display: inline; }
        button { font: inherit; padding: 4px 10px; border: 1px solid var(--accent); background: #fff; color: var(--accent); border-radius: 3px; cursor: pointer; }
        button.danger { border-color: var(--bad); color: var(--bad); }
        input, select { font: inherit; padding: 4px 6px; border: 1px solid var(--line); border-radius: 3px; }
        .signin { max-width: 360px; margin: 60px auto; background: #fff; border: 1px solid var(--line); padding: 24px; }
        .signin label { display: block; margin: 12px 0 4px; } .signin input { width: 100%; } .signin button { margin-top: 16px; }
        .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; }
        .card { background: #fff; border: 1px solid var(--line); padding: 12px; }
        .card h3 { margin: 0 0 8px; font-size: 14px; }
        """

    /// Confirmation for destructive forms, and the live request list (rebuilt with textContent: no HTML from data).
    static let javascript = """
        "use strict";
        document.addEventListener("submit", function (event) {
          var message = event.target.getAttribute("data-confirm");
          if (message && !window.confirm(message)) { event.preventDefault(); }
        });
        (function () {
          var table = document.getElementById("live-requests");
          if (!table) { return; }
          var body = table.querySelector("tbody");
          var source = table.getAttribute("data-source");
          function cell(row, text, cls) {
            var td = document.createElement("td");
            td.textContent = text;
            if (cls) { td.className = cls; }
            row.appendChild(td);
          }
          function refresh() {
            fetch(source, { credentials: "same-origin", headers: { "Accept": "application/json" } })
              .then(function (response) { return response.ok ? response.json() : null; })
              .then(function (data) {
                if (!data) { return; }
                while (body.firstChild) { body.removeChild(body.firstChild); }
                data.requests.forEach(function (r) {
                  var row = document.createElement("tr");
                  cell(row, r.time, "mono");
                  cell(row, r.operation);
                  cell(row, r.bucket || "");
                  cell(row, r.key || "", "mono");
                  cell(row, String(r.status), r.status >= 400 ? "error" : "");
                  cell(row, r.errorCode || "");
                  cell(row, r.requester || "", "mono");
                  cell(row, r.latencyMs.toFixed(2), "num");
                  body.appendChild(row);
                });
                var count = document.getElementById("live-count");
                if (count) { count.textContent = String(data.requests.length); }
              })
              .catch(function () {});
          }
          setInterval(refresh, 2000);
        })();
        """
}
