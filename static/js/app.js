// The pages' few behaviours, as one static file: the Content-Security-Policy allows no inline
// script, no inline event handler and no eval (config/settings.py SECURE_CSP). Elements say what
// they want with data attributes; the listeners below are delegated from the document, so they
// also serve what htmx swaps in later.
(() => {
  "use strict";

  const clearMatching = () => document.getElementById("select-matching")?.replaceChildren();

  document.addEventListener("click", (event) => {
    const target = event.target;
    const closer = target.closest("[data-close]");
    if (closer) {
      closer.closest(closer.dataset.close)?.remove();
      return;
    }
    if (target.closest("[data-close-dialog]")) {
      target.closest("dialog")?.close();
      return;
    }
    const opener = target.closest("[data-open-dialog]");
    if (opener) {
      document.getElementById(opener.dataset.openDialog)?.showModal();
      return;
    }
    if (target.closest("[data-print]")) {
      window.print();
      return;
    }
    if (target.closest("[data-clear-selection]")) {
      document.querySelectorAll("#order-table input[type=checkbox]").forEach((box) => {
        box.checked = false;
      });
      clearMatching();
      return;
    }
    // A click elsewhere closes the "Mehr" menu.
    document.querySelectorAll("details.menu[open]").forEach((menu) => {
      if (!menu.contains(target)) menu.open = false;
    });
  });

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches("[data-autosubmit]")) {
      // The language switch returns to the page as the address bar shows it now: htmx may have
      // pushed filters, pages or a search since the page was rendered.
      const next = target.form?.querySelector("input[name=next][data-current-url]");
      if (next) next.value = window.location.pathname + window.location.search;
      target.form?.submit();
      return;
    }
    if (target.matches("#order-table .select-all")) {
      // Ticks (or unticks) every row of the page; a ticked box asks whether to offer all matching.
      target.closest("table").querySelectorAll("input[name=ids]").forEach((box) => {
        box.checked = target.checked;
      });
      if (target.checked) {
        window.htmx?.trigger(target, "select-all-ticked");
      } else {
        clearMatching();
      }
      return;
    }
    // Unticking a row also undoes "select all on this page" and "all matching".
    if (target.matches("#order-table input[name=ids]") && !target.checked) {
      const selectAll = document.querySelector("#order-table .select-all");
      if (selectAll) selectAll.checked = false;
      clearMatching();
    }
  });

  // A privacy job finished a chunk: reload the list's rows for the new badges, unless the
  // merchant is ticking rows (a reload would drop the ticks).
  document.addEventListener("orders-progress", () => {
    if (!document.querySelector("#order-table input[name=ids]:checked")) {
      document.body.dispatchEvent(new CustomEvent("orders-refresh"));
    }
  });

  document.addEventListener("htmx:beforeRequest", (event) => {
    // The "Mehr" menu closes when one of its entries opens a dialog.
    event.target.closest?.("details.menu")?.removeAttribute("open");
  });

  // The export dialog's form downloads the file: the dialog closes once the download is asked for
  // (later than the submit event, which would otherwise find its form gone).
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches?.("form[data-close-after-submit]")) {
      window.setTimeout(() => form.closest("dialog")?.close(), 300);
    }
  });

  // The order search sends itself (as typed, and on Enter or clearing). Its "change" on leaving
  // the box would make the filter form ask again – racing, and undoing, a click on "Weiter".
  document.addEventListener(
    "change",
    (event) => {
      if (event.target.matches?.("#order-filter input[name=q]")) event.stopPropagation();
    },
    true,
  );

  // The date-range dialog after a refused submit: once the live count finds the input valid, the
  // errors shown for the earlier input are stale and go.
  document.addEventListener("htmx:afterSwap", () => {
    const count = document.getElementById("privacy-count");
    const form = count?.hasAttribute("data-valid") ? count.closest("form") : null;
    if (!form) return;
    form.querySelectorAll("[data-form-errors], .range-fields .errorlist").forEach((el) => el.remove());
    form.querySelectorAll(".range-fields .has-error").forEach((el) => el.classList.remove("has-error"));
  });

  // Edits typed into a form that is left without saving: the browser asks first. A form that
  // re-renders itself (the channel form's preview) keeps the flag, saving clears it.
  let unsaved = false;
  document.addEventListener("input", (event) => {
    if (event.target.closest?.("form[data-warn-unsaved]")) unsaved = true;
  });
  document.addEventListener("submit", (event) => {
    if (event.target.matches?.("form[data-warn-unsaved]")) unsaved = false;
  });
  window.addEventListener("beforeunload", (event) => {
    if (unsaved) event.preventDefault();
  });

  // The "Mehr" dialogs arrive closed (htmx swaps them in): open them as modals, drop them when closed.
  document.addEventListener("htmx:afterSettle", () => {
    document.querySelectorAll("#privacy-dialog-slot dialog[data-modal]:not([open])").forEach((dialog) => {
      dialog.addEventListener("close", () => dialog.remove());
      dialog.showModal();
    });
  });
})();
