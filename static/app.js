// Progressive enhancement only; every page works without this file.
// (No inline script anywhere: the CSP forbids it.)

function announce(text) {
  const live = document.getElementById("announce");
  if (!live) return;
  // A change the screen reader notices even when the same words repeat.
  live.textContent = "";
  setTimeout(() => { live.textContent = text; }, 50);
}

// Copy buttons (<button data-copy="#selector" hidden>) do nothing without
// JavaScript, so they start hidden; README code blocks get one each.
let codeBlocks = 0;
function enhance(root) {
  root.querySelectorAll("[data-copy][hidden]").forEach((b) => { b.hidden = false; });
  root.querySelectorAll(".readme pre").forEach((pre) => {
    if (pre.parentElement.classList.contains("code-block")) return;
    const code = pre.querySelector("code") || pre;
    if (!code.id) code.id = `code-${++codeBlocks}`;
    const wrap = document.createElement("div");
    wrap.className = "code-block";
    pre.replaceWith(wrap);
    const b = document.createElement("button");
    b.type = "button";
    b.className = "copy";
    b.dataset.copy = `#${code.id}`;
    b.textContent = "Copy";
    b.setAttribute("aria-label", "Copy this code");
    wrap.append(pre, b);
  });
}
enhance(document);
document.addEventListener("htmx:load", (e) => enhance(e.detail.elt.parentElement || document));

document.addEventListener("click", (e) => {
  const b = e.target.closest("[data-copy]");
  if (!b) return;
  const el = document.querySelector(b.dataset.copy);
  if (!el) return;
  const text = el.textContent.trim();
  const done = (label, said) => {
    b.textContent = label;
    announce(said);
    setTimeout(() => { b.textContent = "Copy"; }, 2000);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(() => done("Copied", "Copied to the clipboard"), () => select(el, done));
  } else {
    select(el, done);
  }
});

// Without clipboard access, select the text so Ctrl+C works.
function select(el, done) {
  const range = document.createRange();
  range.selectNodeContents(el);
  const sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
  done("Selected", "Selected: press Control C to copy");
}

// Ctrl/Cmd/Shift-click on an htmx link opens it the browser's way (new tab or
// window) instead of swapping this page: htmx only does that for boosted links.
document.addEventListener("click", (e) => {
  if (!(e.ctrlKey || e.metaKey || e.shiftKey || e.altKey)) return;
  if (e.target.closest("a[hx-get]")) e.stopPropagation();
}, true);

// A new request clears the last error message and old notices.
document.addEventListener("htmx:beforeRequest", () => {
  const flash = document.getElementById("flash");
  if (flash) flash.replaceChildren();
  document.querySelectorAll("[data-transient]").forEach((m) => m.remove());
});

// Network failures (server down) are shown, not swallowed.
document.addEventListener("htmx:sendError", () => {
  const flash = document.getElementById("flash");
  if (!flash) return;
  const p = document.createElement("p");
  p.className = "error";
  p.setAttribute("role", "alert");
  p.textContent = "The registry could not be reached. Check your connection and try again.";
  flash.replaceChildren(p);
});

// A confirmation that names what the form is about to act on: "{username}" is
// the value of the form's username field.
document.addEventListener("htmx:confirm", (e) => {
  const q = e.detail.question;
  if (!q || !q.includes("{username}")) return;
  e.preventDefault();
  const field = e.detail.elt.querySelector("[name=username]");
  const name = field ? field.value.trim() : "";
  // An empty name is the server's to refuse, with its message.
  if (!name || window.confirm(q.replaceAll("{username}", name))) e.detail.issueRequest(true);
});

// Tabs: arrow keys move between the package tabs, as in a tab list.
document.addEventListener("keydown", (e) => {
  if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
  const tab = e.target.closest(".tabs a");
  if (!tab) return;
  const tabs = [...tab.parentElement.querySelectorAll("a")];
  const i = tabs.indexOf(tab) + (e.key === "ArrowRight" ? 1 : -1);
  const next = tabs[(i + tabs.length) % tabs.length];
  next.focus();
  e.preventDefault();
});

// Focus after an action: the swapped row (yank, unyank), the new row (add
// owner), or for a removed row its neighbour, so keyboard and screen-reader
// users stay where they were instead of falling back to the top of the page.
let focusPlan = null;
document.addEventListener("htmx:beforeRequest", (e) => {
  const elt = e.detail.elt;
  focusPlan = null;
  if (!(elt instanceof Element) || elt.closest(".tabs, .search-form")) return;
  const row = elt.closest("[data-row]");
  const field = elt.querySelector("[name=username]");
  const wanted = elt.dataset.focusNew && field ? `${elt.dataset.focusNew}${field.value.trim()}` : null;
  const near = (r) => (r && r.matches("[data-row]") ? r.id : null);
  focusPlan = {
    wanted,
    ids: [wanted, row && row.id, near(row && row.nextElementSibling), near(row && row.previousElementSibling)].filter(Boolean),
    home: (elt.closest("[data-focus-home]") || {}).id,
  };
});
// The request's own element may be swapped out (a revoked row), so its later
// events never reach the document: act right after the swap instead.
document.addEventListener("htmx:beforeSwap", (e) => {
  const plan = focusPlan;
  focusPlan = null;
  if (!plan || !e.detail.shouldSwap || e.detail.target.id === "flash") return;
  setTimeout(() => placeFocus(plan), 0);
});
function placeFocus(plan) {
  const active = document.activeElement;
  const kept = active && active !== document.body && active.isConnected;
  for (const id of plan.ids) {
    const row = document.getElementById(id);
    if (!row) continue;
    // A row the action added takes focus even from the field that named it.
    if (kept && id !== plan.wanted) return;
    // The row's action first (Unyank after Yank), else its link.
    const target = row.querySelector("button") || row.querySelector("a, input") || row;
    if (target === row) row.tabIndex = -1;
    target.focus();
    return;
  }
  const home = !kept && plan.home && document.getElementById(plan.home);
  if (home) {
    const heading = home.querySelector("h2, [data-transient]") || home;
    heading.tabIndex = -1;
    heading.focus();
  }
}

// After htmx swaps in new tabs, keep keyboard focus on the chosen tab.
document.addEventListener("htmx:afterSwap", (e) => {
  if (e.detail.target && e.detail.target.id === "tabs") {
    const current = e.detail.target.querySelector('.tabs a[aria-current="page"]');
    if (current && document.activeElement === document.body) current.focus();
  }
});

// Live search: one history entry per search, not one per keystroke. The first
// request typed into the box pushes an entry; the ones typed after it replace it.
let typing = false;
document.addEventListener("htmx:beforeHistoryUpdate", (e) => {
  const elt = e.detail.requestConfig && e.detail.requestConfig.elt;
  const fromBox = !!elt && elt.id === "q";
  if (fromBox && typing && e.detail.history.type === "push") e.detail.history.type = "replace";
  typing = fromBox;
});
document.addEventListener("focusout", (e) => {
  if (e.target.id === "q") typing = false;
});
// htmx keeps the page's HTML for Back, where a field's value is not part of
// it: write the query the shown results are for into the box's markup, so
// Back restores the box together with its results.
document.addEventListener("htmx:beforeHistorySave", (e) => {
  const box = e.detail.historyElt.querySelector("#q");
  if (!box) return;
  const params = new URL(e.detail.path, location.href).searchParams;
  box.setAttribute("value", params.get("q") || "");
  const sort = e.detail.historyElt.querySelector(".search-form select[name=sort]");
  if (sort) {
    for (const o of sort.options) o.toggleAttribute("selected", o.value === (params.get("sort") || ""));
  }
});
// The default sort is no sort: keep `&sort=` out of URLs.
document.addEventListener("htmx:configRequest", (e) => {
  if (e.detail.parameters.sort === "") delete e.detail.parameters.sort;
});
