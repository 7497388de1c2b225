// Acceptance application page: a file is deleted only after the person confirms it.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.matches("form.confirm-delete") && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
