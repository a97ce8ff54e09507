/* What only a reader who writes needs, fetched by embed.js the first time they focus its form or
   press Report (most readers do neither, so the embed does not carry it): posting a comment, with
   its checks and errors, and reporting one. Readable source: `make embed` minifies it into
   moderation/static/embed-write.js. It hands `make` to the embed, which calls it with its own
   helpers and elements (X); English strings are here, other languages are in the catalogues. */
(() => {
  "use strict";
  const EN = {
    kept: " Your comment is still here.",
    req_comment: "Please type your comment.",
    req_author: "Please enter your name.",
    req_email: "Please enter your email address.",
    badField: "Please check the field {label}.",
    gone: "The comment you replied to is no longer available; send again to post yours on its own.",
    wait: { one: "You are commenting too quickly. Please wait {n} second, then send it again.",
            other: "You are commenting too quickly. Please wait {n} seconds, then send it again." },
    waitMinute: "You are commenting too quickly. Please wait a minute, then send it again.",
    duplicate: "You have already posted this comment here.",
    failed: "Something went wrong on our side. Please try again in a moment.",
    published: "Your comment has been published.",
    confirm: " New address? Confirm it from the email we send.",
    emailMe: "Email me",
    notifyApproval: "when my comment is published",
    notifyReplies: "when someone replies to it",
    noticeNotes: "We first email you to confirm. Every email has a link to stop them.",
    none: "Click to comment",
    rLegend: "Why should a moderator look at this comment?",
    spam: "Spam or advertising",
    abuse: "Abusive or hateful",
    "off-topic": "Off topic",
    other: "Something else",
    rNote: "Anything the moderators should know (optional)",
    rSend: "Send report",
    rCancel: "Cancel",
    rThanks: "Thank you. A moderator will look at this comment.",
    rReason: "Please choose a reason.",
    rLong: "The note can be at most 500 characters.",
    rGone: "This comment is no longer published.",
    rWait: { one: "You have sent several reports. Please wait {n} second, then send it again.",
             other: "You have sent several reports. Please wait {n} seconds, then send it again." },
    rWaitMinute: "You have sent several reports. Please wait a minute, then send it again."
  };
  const FIELDS = { comment: "comment", author: "name", email: "email", url: "website" };
  const API_NAMES = { body: "comment", name: "author", email: "email", website: "url" };
  const REASONS = ["spam", "abuse", "off-topic", "other"];
  const CSS = "[aria-invalid=true]{border:2px solid var(--error)}.error{display:block;color:var(--error);font-weight:700}[aria-disabled=true]{opacity:.7}" +
    ".report-form{margin:.5em 0;padding:0 .8em;border:1px solid var(--line);border-radius:var(--r)}.report-form .btn{margin-inline-end:1em}";
  const JSON_POST = body => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const seconds = r => parseInt(r.h.get("Retry-After"), 10);

  /* The post's title: og:title, else the page's title less its last " · Site name"; its canonical URL. */
  const articleTitle = () => {
    const og = document.querySelector("meta[property='og:title']");
    let title = og && og.content.trim(), cut;
    if (!title) title = (cut = /^(.*\S.*)(?: [\u00b7|\u2013\u2014-] |:: )/.exec(document.title)) ? cut[1] : document.title;
    return [...title.replace(/[\u0000-\u001f\u007f-\u009f]/g, "").trim()].slice(0, 300).join("") || undefined;
  };
  const articleUrl = () => {
    const url = (document.querySelector("link[rel~=canonical][href]") || location).href.split("#")[0];
    return /^https?:/.test(url) && url.length <= 2000 ? url : undefined;
  };

  const make = (X, root) => {
    const { h, t, api, S } = X, el = id => root.getElementById(id), form = el("respond").lastChild;
    const control = name => form.elements[name], comment = control("comment"), alert = el("form-alert");
    const submit = el("submit"), status = el("status"), respond = el("respond"), title = el("reply-title-text");
    const cancel = el("cancel-comment-reply-link");
    for (const key in EN) X.en[key] = X.en[key] || EN[key];
    const say = message => alert.textContent = message;
    const NOTIFY = ["comment_notify_approval", "comment_notify_replies"], boxes = () => NOTIFY.map(control).filter(Boolean);
    // Email notices: unticked, and shown only once the service says it sends mail (double opt-in there).
    const notices = b => el("notices") || !b.notices || alert.before(h("fieldset", { class: "notices", id: "notices" }, h("legend", {}, t("emailMe")),
      ...NOTIFY.map((id, i) => h("p", { class: "consent" }, h("input", { type: "checkbox", id, name: id }), " ",
        h("label", { for: id }, t(i ? "notifyReplies" : "notifyApproval")))), h("p", { class: "notes" }, t("noticeNotes"))));
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    let busy, replyButton;
    const remember = () => X.save("localStorage", "comments:commenter", control("wp-comment-cookies-consent").checked ? { author: control("author").value,
      email: control("email").value, url: control("url").value, key: S.key, avatar: S.picture } : null);
    const saveDraft = () => X.save("sessionStorage", "comments:draft:" + S.article, comment.value || S.parent ? { text: comment.value, parent: S.parent } : null);

    /* Reply: the form moves under the comment; Cancel reply or Esc brings it back (and focus to Reply). */
    function reply(c, li, button, quietly) {
      S.parent = c.id;
      replyButton = button;
      li.insertBefore(respond, li.lastChild);
      title.textContent = t("replyTo", { name: c.author.name });
      cancel.hidden = false;
      saveDraft();
      if (!quietly) comment.focus();
    }
    function cancelReply(focusBack) {
      S.parent = null;
      respond.parentNode.closest("section").append(respond);
      title.textContent = t("leave");
      cancel.hidden = true;
      saveDraft();
      if (focusBack && replyButton && replyButton.isConnected) replyButton.focus();
    }
    cancel.onclick = () => cancelReply(true);
    respond.addEventListener("keydown", event => event.key == "Escape" && S.parent != null && cancelReply(true));
    comment.oninput = saveDraft;
    S.token.then(notices);

    function showErrors(errors) {
      let first;
      for (const name in FIELDS) {
        const f = control(name), message = errors[name];
        f.error.textContent = message || "";
        f.error.hidden = !message;
        f.setAttribute("aria-invalid", !!message);
        f.setAttribute("aria-describedby", [f.note, message && f.error.id].filter(Boolean).join(" "));
        first = first || message && f;
      }
      if (first) first.focus();
      return first;
    }

    // The service names each bad field in English; another language says which field, in its own words.
    function serverErrors(problems) {
      const errors = {}, other = [];
      for (const key in problems) {
        const name = API_NAMES[key], problem = problems[key], label = name && t(FIELDS[name]);
        if (name) errors[name] = problem == "is required" ? t("req_" + name)
          : S.lang == "en" ? (label + " " + problem).replace(/\.?$/, ".") : t("badField", { label });
        else other.push(key == "parent_id" ? t("gone") : key + " " + problem + ".");
      }
      if (problems.parent_id) cancelReply();
      say(other.join(" "));
      showErrors(errors) || comment.focus();
    }

    function accepted(r, v) {
      const published = r.b.comment;
      S.key = r.b.commenter_key || S.key;
      // Only a submission that proves its author gets their picture; else the one their own published comment has.
      S.picture = r.b.avatar || published && published.author.avatar || S.picture;
      remember();
      (S.token = X.newToken()).then(notices);
      const mine = published || { id: r.b.id, parent_id: S.parent, author: { name: v.name.trim(), website: v.website.trim(), avatar: S.picture },
        body: v.body.trim(), created_at: new Date().toISOString().replace(/\.\d+Z$/, "Z") };
      const key = "comments:pending:" + S.article;
      if (!published) X.save("sessionStorage", key, [...X.load("sessionStorage", key) || [], mine]);
      const node = X.add(mine, !published, 1, 1);
      if (published) X.setTotal(S.total + 1);
      status.textContent = S.notice = t(published ? "published" : "thanks") +
        (boxes().some(box => box.checked) ? t("confirm") : "");
      boxes().forEach(box => box.checked = false);  // each comment asks anew
      comment.value = "";
      cancelReply();
      if (node) node.li.firstChild.focus();
    }

    function refused(r) {
      const wait = seconds(r);
      if (r.s == 422 && r.b.fields) return serverErrors(r.b.fields);
      say(t(r.s == 429 ? wait > 0 ? "wait" : "waitMinute" : r.s == 409 ? "duplicate" : r.s == 403 ? "closed" : "failed", { n: wait }) + t("kept"));
    }

    const send = () => {
      if (busy) return;
      const v = { body: comment.value, name: control("author").value, email: control("email").value, website: control("url").value };
      say("");
      if (showErrors({ comment: !v.body.trim() && t("req_comment"), author: !v.name.trim() && t("req_author"),
                       email: !v.email.trim() && t("req_email") })) return;
      busy = 1;
      submit.setAttribute("aria-disabled", true);
      S.token.then(b => api("/articles/" + encodeURIComponent(S.article) + "/comments", JSON_POST({  // a restored draft sent at once waits for its token
        ...v, parent_id: S.parent, article_title: articleTitle(), article_url: articleUrl(), hp: control("website_url").value, form_token: b.form_token,
        lang: S.lang, notify_approval: !!(control(NOTIFY[0]) || {}).checked, notify_replies: !!(control(NOTIFY[1]) || {}).checked,
        commenter_key: S.key  // proves a returning author (see the README)
      }))).then(r => r.s == 201 || r.s == 202 ? accepted(r, v) : refused(r), () => say(t("offline") + t("kept"))).then(() => {
        busy = 0;
        submit.removeAttribute("aria-disabled");
      });
    };

    /* A report: the reason (spam, abuse, off-topic, other) and an optional note, under the comment. */
    const report = (c, button) => {
      const article = button.parentNode, id = "report-" + c.id, shown = root.getElementById(id);
      if (shown) return shown.querySelector("input").focus();
      const error = name => h("span", { id: id + "-" + name, class: "error", hidden: true });
      const reasonError = error("reason-error"), noteError = error("note-error");
      const radios = REASONS.map(reason => h("input", { type: "radio", name: id, id: id + "-" + reason, value: reason }));
      const note = h("textarea", { id: id + "-note", rows: 3, maxlength: 500, part: "field", "aria-describedby": noteError.id });
      const problem = h("p", { class: "alert", role: "alert" });
      const sendButton = h("button", { class: "btn", part: "button" }, t("rSend"));
      const cancel = h("button", { type: "button", class: "link" }, t("rCancel"));
      const form = h("form", { class: "report-form", id, novalidate: true, "aria-label": t("reportLabel", { name: c.author.name }) },
        h("fieldset", { "aria-describedby": reasonError.id }, h("legend", {}, t("rLegend")),
          ...radios.map((radio, i) => h("p", { class: "consent" }, radio, " ", h("label", { for: radio.id }, t(REASONS[i])))), reasonError),
        h("p", {}, h("label", { for: note.id }, t("rNote")), note, noteError), problem, h("p", {}, sendButton, cancel));
      const close = () => {
        form.remove();
        button.setAttribute("aria-expanded", false);
        button.focus();
      };
      const show = (span, message) => {
        span.textContent = message || "";
        span.hidden = !message;
      };
      cancel.onclick = close;
      form.onkeydown = event => {
        if (event.key == "Escape") {
          event.stopPropagation();
          close();
        }
      };
      form.onsubmit = event => {
        event.preventDefault();
        if (sendButton.hasAttribute("aria-disabled")) return;
        const chosen = radios.find(radio => radio.checked);
        sendButton.setAttribute("aria-disabled", true);
        problem.textContent = "";
        api("/comments/" + c.id + "/reports", JSON_POST({ reason: chosen && chosen.value, note: note.value.trim() || undefined })).then(r => {
          const fields = r.s == 422 && r.b.fields || {}, wait = seconds(r);
          show(reasonError, fields.reason && t("rReason"));
          show(noteError, fields.note && t("rLong"));
          note.setAttribute("aria-invalid", !!fields.note);
          if (r.s == 202) {
            const thanks = h("p", { class: "notes", role: "status", tabindex: "-1" }, t("rThanks"));
            form.replaceWith(thanks);
            button.hidden = true;  // one report a reader
            thanks.focus();
          } else if (fields.reason || fields.note) (fields.reason ? radios[0] : note).focus();
          else problem.textContent = t(r.s == 404 ? "rGone" : r.s == 429 ? wait > 0 ? "rWait" : "rWaitMinute" : "failed", { n: wait });
        }, () => problem.textContent = t("offline")).then(() => sendButton.removeAttribute("aria-disabled"));
      };
      button.setAttribute("aria-expanded", true);
      button.setAttribute("aria-controls", id);
      article.append(form);
      radios[0].focus();
    };

    return { send, report, reply };
  };
  /* Listing pages: <a data-comments-count="12345"> becomes "12 Comments", from one request per 100 ids. */
  make.counts = (api, t, en) => {
    for (const key in EN) en[key] = en[key] || EN[key];
    const links = [...document.querySelectorAll("[data-comments-count]")], id = a => a.getAttribute("data-comments-count");
    const ids = [...new Set(links.map(id))].filter(one => /^[A-Za-z0-9][\w.~-]{0,127}$/.test(one));
    for (let i = 0; i < ids.length; i += 100) {
      api("/counts?" + ids.slice(i, i + 100).map(one => "article=" + encodeURIComponent(one)).join("&")).then(r => links.forEach(a => {
        const n = (r.b.counts || {})[id(a)];
        if (n >= 0) a.textContent = n ? t("comments", { n }) : t("none");
      }), () => { /* counts are a nicety; the links still work */ });
    }
  };
  if (window.commentsWrite) window.commentsWrite(make);
})();
