// The embeddable chat: <script src="http://HOST:PORT/widget.js" data-title="Ask the articles" async></script>
// Options (data- attributes of that script tag): data-title, data-position (bottom-right | bottom-left),
// data-color (any CSS colour), data-open ("true" opens the panel on load), data-width, data-height, data-key (the
// site's reader key, when the app asks readers for one: `assistant keys add SITE`).
// It adds a floating button that opens a panel holding an iframe onto the app's compact chat (/embed/).
(function () {
  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script || window.__newsWidget) return;
  window.__newsWidget = true;
  var d = script.dataset;
  var origin = new URL(script.src, location.href).origin;
  var title = d.title || "Ask the articles";
  var color = d.color || "#b4232a";
  var side = d.position === "bottom-left" ? "left" : "right";
  var width = d.width || "400px", height = d.height || "620px";

  var style = document.createElement("style");
  style.textContent =
    ".naw-button{position:fixed;bottom:20px;" + side + ":20px;z-index:2147483000;border:0;border-radius:28px;" +
    "padding:0 20px 0 16px;height:52px;font:600 15px/1 system-ui,sans-serif;color:#fff;background:" + color + ";" +
    "box-shadow:0 4px 16px rgba(0,0,0,.25);cursor:pointer;display:flex;align-items:center;gap:8px}" +
    ".naw-button:focus-visible{outline:3px solid #000;outline-offset:2px}" +
    ".naw-panel{position:fixed;bottom:84px;" + side + ":20px;z-index:2147483001;width:" + width + ";height:" + height + ";" +
    "max-width:calc(100vw - 40px);max-height:calc(100vh - 110px);background:#fff;border-radius:12px;overflow:hidden;" +
    "box-shadow:0 10px 40px rgba(0,0,0,.3);display:none;flex-direction:column}" +
    ".naw-panel.naw-open{display:flex}" +
    ".naw-head{display:flex;align-items:center;justify-content:space-between;padding:10px 14px;color:#fff;background:" + color + ";" +
    "font:600 15px/1.2 system-ui,sans-serif}" +
    ".naw-close{border:0;background:none;color:#fff;font-size:22px;line-height:1;cursor:pointer}" +
    ".naw-frame{flex:1;border:0;width:100%}";
  document.head.appendChild(style);

  var button = document.createElement("button");
  button.type = "button";
  button.className = "naw-button";
  button.setAttribute("aria-expanded", "false");
  button.innerHTML = '<svg width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" ' +
    'aria-hidden="true"><path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/></svg><span></span>';
  button.querySelector("span").textContent = title;

  var panel = document.createElement("div");
  panel.className = "naw-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);
  panel.innerHTML = '<div class="naw-head"><span></span><button type="button" class="naw-close" aria-label="Close">×</button></div>';
  panel.querySelector(".naw-head span").textContent = title;
  var frame = null;

  function toggle(open) {
    if (open && !frame) {  // the chat loads on first open, so a host page pays nothing until then
      frame = document.createElement("iframe");
      frame.className = "naw-frame";
      frame.title = title;
      frame.src = origin + "/embed/" + (d.key ? "?key=" + encodeURIComponent(d.key) : "");
      panel.appendChild(frame);
    }
    panel.classList.toggle("naw-open", open);
    button.setAttribute("aria-expanded", String(open));
  }
  button.addEventListener("click", function () { toggle(!panel.classList.contains("naw-open")); });
  panel.querySelector(".naw-close").addEventListener("click", function () { toggle(false); button.focus(); });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") toggle(false); });

  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(button);
    if (d.open === "true") toggle(true);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
