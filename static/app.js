// Copy buttons: <button data-copy="#selector">. Everything else is htmx.
document.addEventListener("click", (e) => {
  const b = e.target.closest("[data-copy]");
  if (!b) return;
  const el = document.querySelector(b.dataset.copy);
  if (el && navigator.clipboard) {
    navigator.clipboard.writeText(el.textContent.trim()).then(() => { b.textContent = "Copied"; });
  }
});
