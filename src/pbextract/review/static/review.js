// pbextract review: keyboard-first decisions. Text is only ever set with textContent / value.
"use strict";
(function () {
  const token = document.querySelector('meta[name="review-token"]').content;
  const $ = (id) => document.getElementById(id);

  function say(text, bad) {
    const m = $("message");
    if (m) { m.textContent = text; m.className = "message" + (bad ? " bad" : ""); }
  }

  function showProgress(p) {
    $("reviewed").textContent = p.reviewed;
    $("total").textContent = p.total;
    $("to-review").textContent = p.to_review;
    $("progress-bar").max = p.total || 1;
    $("progress-bar").value = p.reviewed;
  }

  async function decide(body) {
    const r = await fetch("/api/decide", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Review-Token": token },
      body: JSON.stringify(body),
    });
    const data = await r.json();
    if (!r.ok) throw new Error(data.error || r.statusText);
    showProgress(data.progress);
    return data;
  }

  // scroll only the given pane, never the window (the header and keys stay in view)
  function reveal(pane, el, centre) {
    const top = el.getBoundingClientRect().top - pane.getBoundingClientRect().top + pane.scrollTop;
    const bottom = top + el.offsetHeight;
    if (centre) pane.scrollTop = top - pane.clientHeight / 2 + el.offsetHeight / 2;
    else if (top < pane.scrollTop) pane.scrollTop = top;
    else if (bottom > pane.scrollTop + pane.clientHeight) pane.scrollTop = bottom - pane.clientHeight;
  }

  function setStatus(el, status) {
    el.textContent = status === "pending" ? "" : status;
    el.className = el.className.replace(/\bst-\S+/, "") + " st-" + status;
  }

  // ---- queue ------------------------------------------------------------------------------
  function queue() {
    const main = document.querySelector("main.queue");
    const rows = Array.from(document.querySelectorAll("tr.item"));
    const input = $("value");
    document.querySelectorAll("#filters select").forEach((s) => s.addEventListener("change", () => $("filters").submit()));
    if (!rows.length) return;
    let cur = 0;
    let busy = false;

    function show(i) {
      cur = Math.max(0, Math.min(rows.length - 1, i));
      rows.forEach((r, k) => r.classList.toggle("cur", k === cur));
      const d = rows[cur].dataset;
      const crop = $("crop");
      if (d.crop) { crop.src = d.crop; crop.hidden = false; } else { crop.removeAttribute("src"); crop.hidden = true; }
      $("cur-label").textContent = d.label;
      $("cur-field").textContent = d.field;
      $("cur-reason").textContent = d.reason;
      $("cur-conf").textContent = d.conf;
      $("cur-file").textContent = d.file;
      $("cur-page").textContent = d.page;
      $("cur-text").textContent = d.text;
      $("cur-status").textContent = d.status;
      input.value = d.value;
      input.readOnly = d.editable !== "yes";
      say("");
      reveal(document.querySelector(".list"), rows[cur], false);
      input.focus({ preventScroll: true });
      input.select();
    }

    function next() {
      for (let k = cur + 1; k < rows.length; k++) {
        if (rows[k].dataset.status === "pending" || main.dataset.status !== "pending") return show(k);
      }
      // the end of this page: fetch the next pending ones (or the next page)
      const undecided = rows.some((r) => r.dataset.status === "pending" || r.dataset.status === "stale");
      if (main.dataset.status === "pending" && !undecided) location.reload();
      else if (main.dataset.nextUrl) location.href = main.dataset.nextUrl;
      else say("end of the queue", false);
    }

    function mark(row, status, value) {
      row.dataset.status = status;
      setStatus(row.querySelector(".st"), status);
      if (value !== undefined) { row.dataset.value = value; row.querySelector(".v").textContent = value; }
    }

    async function submit() {
      if (busy) return;
      const d = rows[cur].dataset;
      const edited = input.value !== d.value && d.editable === "yes";
      busy = true;
      try {
        const res = await decide({
          record_id: d.recordId, field: d.field, flag_id: d.flagId,
          action: edited ? "edit" : "accept", value: edited ? input.value : null,
        });
        mark(rows[cur], res.status, res.value);
        next();
      } catch (e) { say(e.message, true); } finally { busy = false; }
    }

    async function reject(undo) {
      if (busy) return;
      const d = rows[cur].dataset;
      busy = true;
      try {
        await decide({ record_id: d.recordId, field: "record", action: undo ? "accept" : "reject" });
        rows.filter((r) => r.dataset.recordId === d.recordId).forEach((r) => mark(r, undo ? "pending" : "rejected"));
        if (undo) { say("record restored"); show(cur); } else next();
      } catch (e) { say(e.message, true); } finally { busy = false; }
    }

    rows.forEach((r, k) => r.addEventListener("click", () => show(k)));
    document.addEventListener("keydown", (ev) => {
      if (ev.target.tagName === "SELECT") return;
      const key = ev.key.toLowerCase();
      let done = true;
      if (ev.key === "Enter" && ev.target === input) submit();
      else if (ev.key === "Escape") { input.value = rows[cur].dataset.value; input.select(); }
      else if (ev.key === "ArrowDown") next();
      else if (ev.key === "ArrowUp") show(cur - 1);
      else if (ev.altKey && key === "r") reject(false);
      else if (ev.altKey && key === "u") reject(true);
      else if (ev.altKey && key === "o") {
        const d = rows[cur].dataset;
        location.href = "/record/" + encodeURIComponent(d.recordId) + "?field=" + encodeURIComponent(d.field) +
          "&back=" + encodeURIComponent(main.dataset.query);
      } else if (ev.key === "PageDown" && $("next-page")) location.href = $("next-page").href;
      else if (ev.key === "PageUp" && $("prev-page")) location.href = $("prev-page").href;
      else if (ev.altKey && key === "f") document.querySelector("#filters select").focus();
      else done = false;
      if (done) ev.preventDefault();
    });
    show(0);
  }

  // ---- record -----------------------------------------------------------------------------
  function record() {
    const main = document.querySelector("main.record");
    const inputs = Array.from(document.querySelectorAll("main.record input.value"));
    const pagesPane = document.querySelector("section.pages");
    const fieldsPane = document.querySelector("section.fields");
    const pages = new Map(Array.from(document.querySelectorAll(".page")).map((p) => [p.dataset.page, p]));
    let cur = 0;
    let busy = false;

    function focusField(i) {
      cur = Math.max(0, Math.min(inputs.length - 1, i));
      const input = inputs[cur];
      const row = input.closest("tr");
      document.querySelectorAll("tr.field.cur").forEach((r) => r.classList.remove("cur"));
      row.classList.add("cur");
      document.querySelectorAll(".page .hl").forEach((h) => { h.hidden = true; });
      const page = pages.get(row.dataset.page);
      if (page) {
        const hl = page.querySelector(".hl");
        if (row.dataset.bbox) {
          const [x0, y0, x1, y1] = row.dataset.bbox.split(",").map(Number);
          const s = Number(page.dataset.scale), w = Number(page.dataset.width), h = Number(page.dataset.height);
          hl.style.left = (x0 * s / w * 100) + "%";
          hl.style.top = (y0 * s / h * 100) + "%";
          hl.style.width = ((x1 - x0) * s / w * 100) + "%";
          hl.style.height = ((y1 - y0) * s / h * 100) + "%";
          hl.hidden = false;
          reveal(pagesPane, hl, true);
        } else {
          reveal(pagesPane, page, false);
        }
      }
      reveal(fieldsPane, row, false);
      input.focus({ preventScroll: true });
      input.select();
    }

    async function save() {
      if (busy) return;
      const input = inputs[cur];
      const row = input.closest("tr");
      const edited = !input.readOnly && input.value !== input.defaultValue;
      busy = true;
      try {
        const res = await decide({
          record_id: main.dataset.recordId, field: input.dataset.field, flag_id: input.dataset.flagId || null,
          action: edited ? "edit" : "accept", value: edited ? input.value : null,
        });
        input.defaultValue = res.value;
        input.value = res.value;
        setStatus(row.querySelector(".st"), res.status);
        say(input.dataset.field + ": " + res.status);
        focusField(cur + 1);
      } catch (e) { say(e.message, true); } finally { busy = false; }
    }

    async function reject(undo) {
      try {
        await decide({ record_id: main.dataset.recordId, field: "record", action: undo ? "accept" : "reject" });
        $("record-status").textContent = undo ? "accept" : "reject";
        say(undo ? "record restored" : "record rejected");
      } catch (e) { say(e.message, true); }
    }

    function jumpFlagged(step) {
      for (let k = cur + step; k >= 0 && k < inputs.length; k += step) {
        if (inputs[k].closest("tr").classList.contains("flagged")) return focusField(k);
      }
    }

    inputs.forEach((inp, k) => inp.addEventListener("focus", () => { if (cur !== k) focusField(k); }));
    document.addEventListener("keydown", (ev) => {
      const key = ev.key.toLowerCase();
      let done = true;
      if (ev.key === "Enter" && ev.target.classList.contains("value")) save();
      else if (ev.key === "Escape") { inputs[cur].value = inputs[cur].defaultValue; inputs[cur].select(); }
      else if (ev.key === "ArrowDown") focusField(cur + 1);
      else if (ev.key === "ArrowUp") focusField(cur - 1);
      else if (ev.altKey && key === "n") jumpFlagged(1);
      else if (ev.altKey && key === "p") jumpFlagged(-1);
      else if (ev.altKey && key === "r") reject(false);
      else if (ev.altKey && key === "u") reject(true);
      else if (ev.altKey && key === "q") location.href = $("back").href;
      else done = false;
      if (done) ev.preventDefault();
    });
    const start = inputs.findIndex((i) => i.dataset.field === main.dataset.focus);
    if (inputs.length) focusField(start >= 0 ? start : 0);
  }

  if (document.body.dataset.view === "queue") queue();
  else if (document.body.dataset.view === "record") record();
})();
