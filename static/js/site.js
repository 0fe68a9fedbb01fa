// Behaviour every page may use, wired from data attributes: the Content-Security-Policy allows
// no inline script or on…= handler, so buttons say what they do and this file does it.
document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-site-action='print']");
  if (target) {
    event.preventDefault();
    window.print();
  }
});
