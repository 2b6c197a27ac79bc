// The "#" beside each section and item heading: a click still moves to the heading (so the
// address bar shows its link), and also copies that full address where the browser allows it.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a.heading-link");
  const status = document.getElementById("copy-status");
  if (!link || !status || !navigator.clipboard) return;
  navigator.clipboard.writeText(link.href).then(() => {
    link.dataset.copied = "";
    status.textContent = status.dataset.message;
    setTimeout(() => {
      delete link.dataset.copied;
      status.textContent = "";
    }, 2500);
  }, () => {});
});
