// Small behaviours of the portal. Loaded as a file: the Content Security Policy forbids inline scripts.
document.addEventListener("DOMContentLoaded", () => {
  // After a refused form, bring the summary of errors into view and to the screen reader.
  const summary = document.querySelector(".form-errors");
  if (summary) summary.focus();
});
