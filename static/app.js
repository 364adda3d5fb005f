// Progressive enhancement only; every page works without this file.
// (No inline script anywhere: the CSP forbids it.)

// Copy buttons: <button data-copy="#selector">.
document.addEventListener("click", (e) => {
  const b = e.target.closest("[data-copy]");
  if (!b) return;
  const el = document.querySelector(b.dataset.copy);
  if (!el) return;
  const text = el.textContent.trim();
  const done = (label) => {
    b.textContent = label;
    setTimeout(() => { b.textContent = "Copy"; }, 2000);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(() => done("Copied"), () => select(el, done));
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
  done("Selected");
}

// A new request clears the last error message.
document.addEventListener("htmx:beforeRequest", () => {
  const flash = document.getElementById("flash");
  if (flash) flash.replaceChildren();
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

// After htmx swaps in new tabs, keep keyboard focus on the chosen tab.
document.addEventListener("htmx:afterSwap", (e) => {
  if (e.detail.target && e.detail.target.id === "tabs") {
    const current = e.detail.target.querySelector('.tabs a[aria-current="page"]');
    if (current && document.activeElement === document.body) current.focus();
  }
});
