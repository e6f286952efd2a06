// 督办助手 sandbox page: plays a Telegram user against the local Bot API. No build step.
// Message text arrives as plain text plus Bot API entities; it is turned into DOM nodes
// (no HTML parsing of message text), so nothing the bot or a user sends can inject markup.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    me: null, // user id
    people: [],
    bot: null,
    chats: [],
    chat: null, // current chat id
    messages: new Map(), // chat id -> array of messages
    unread: new Map(),
    commands: [],
    replyTo: null,
    file: null,
    clock: null, // {epoch_ms, speed, tz, at: performance.now()}
    events: null,
    typingTimer: null,
    schedule: {}, // when reminders and the weekly summary go out
    askedInvite: null, // the new person who asked the coordinator for an invite
  };
  const TZ_FALLBACK = "Asia/Shanghai";

  // ------------------------------------------------------------------ API

  async function api(path, options) {
    const opts = Object.assign({ headers: {} }, options || {});
    if (opts.json !== undefined) {
      opts.body = JSON.stringify(opts.json);
      opts.headers["Content-Type"] = "application/json";
      opts.method = opts.method || "POST";
      delete opts.json;
    }
    const res = await fetch(path, opts);
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) {
      const msg = (body && body.error) || res.status + " " + res.statusText;
      throw new Error(msg);
    }
    return body;
  }

  function toast(text, isError) {
    const el = $("toast");
    el.textContent = text;
    el.classList.toggle("error", !!isError);
    el.classList.remove("hidden");
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => el.classList.add("hidden"), isError ? 5000 : 3000);
  }

  function fail(err) { toast(String(err && err.message ? err.message : err), true); }

  // ------------------------------------------------------------------ time

  function tz() { return (state.clock && state.clock.tz) || TZ_FALLBACK; }

  function simNow() {
    const c = state.clock;
    if (!c) return new Date();
    return new Date(c.epoch_ms + (performance.now() - c.at) * c.speed);
  }

  function parts(date) {
    const out = {};
    new Intl.DateTimeFormat("zh-CN", {
      timeZone: tz(), year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", weekday: "short", hourCycle: "h23",
    }).formatToParts(date).forEach((p) => { out[p.type] = p.value; });
    return out;
  }

  function fmtClock(date) {
    const p = parts(date);
    return `${p.year}年${+p.month}月${+p.day}日 ${p.weekday} ${p.hour}:${p.minute}:${p.second}`;
  }

  function fmtTime(seconds) {
    const p = parts(new Date(seconds * 1000));
    return `${+p.month}月${+p.day}日 ${p.hour}:${p.minute}`;
  }

  // The jump field: year-month-day and a 24-hour time, whatever the browser's locale (a
  // datetime-local input shows 06/23/2021, 08:59 AM on an English system).
  function localInput(date) {
    const p = parts(date);
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
  }

  // "2021-06-28 08:59", "2021-6-28T8:59", "2021/06/28 08:59" or "2021年6月28日 8:59" →
  // "2021-06-28T08:59" for the server; null when it is none of them.
  function parseInput(text) {
    const m = text.trim().match(
      /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*(?:日\s*|T\s*|\s+)(\d{1,2})\s*[:：点时]\s*(\d{1,2})\s*分?$/
    );
    if (!m) return null;
    const [, y, mo, d, h, mi] = m.map(Number);
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59) return null;
    const two = (n) => String(n).padStart(2, "0");
    return `${y}-${two(mo)}-${two(d)}T${two(h)}:${two(mi)}`;
  }

  function setClock(data) {
    if (!data) return;
    state.clock = { epoch_ms: data.epoch_ms, speed: data.speed, tz: data.tz, at: performance.now() };
    const sel = $("clock-speed");
    const value = String(data.speed).replace(/\.0$/, "");
    if (![...sel.options].some((o) => o.value === value)) {
      const opt = document.createElement("option");
      opt.value = value;
      opt.textContent = `${value}×`;
      sel.appendChild(opt);
    }
    sel.value = value;
    if (document.activeElement !== $("clock-at")) $("clock-at").value = localInput(simNow());
    tickClock();
  }

  function tickClock() {
    if (state.clock) $("clock-now").textContent = fmtClock(simNow());
  }

  async function postClock(body) {
    try { setClock(await api("/api/clock", { json: body })); toast("时钟已调整：" + fmtClock(simNow())); }
    catch (e) { fail(e); }
  }

  const WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

  function minutes(hhmm) { const [h, m] = hhmm.split(":").map(Number); return h * 60 + m; }

  function hhmm(total) {
    const t = (total + 1440) % 1440;
    return String(Math.floor(t / 60)).padStart(2, "0") + ":" + String(t % 60).padStart(2, "0");
  }

  // The simulated day `days` after today, as YYYY-MM-DD, and today's weekday (0 = Monday).
  function simDay(days) {
    const p = parts(simNow());
    return new Date(Date.UTC(+p.year, +p.month - 1, +p.day + days)).toISOString().slice(0, 10);
  }

  function simWeekday() {
    const p = parts(simNow());
    return (new Date(Date.UTC(+p.year, +p.month - 1, +p.day)).getUTCDay() + 6) % 7;
  }

  function schedule() {
    const s = state.schedule || {};
    return {
      reminder: s.reminder || "09:00",
      weekday: s.summary_weekday === undefined ? 4 : s.summary_weekday,
      summary: s.summary_time || "16:00",
    };
  }

  function renderSchedule() {
    const s = schedule();
    const day = WEEKDAYS[s.weekday];
    const morning = hhmm(minutes(s.reminder) - 1);
    const beforeSummary = hhmm(minutes(s.summary) - 1);
    $("clock-morning").textContent = `下个提醒日 ${morning}`;
    $("clock-morning").title = `跳到明天起第一个有提醒要发的工作日 ${morning}：一分钟后提醒发出；没有到期事项时会说明`;
    $("clock-summary").textContent = `${day} ${beforeSummary}`;
    $("clock-summary").title = `跳到${day} ${beforeSummary}：一分钟后周报发到协调群`;
    $("clock-hint").textContent = `工作日 ${s.reminder} 发提醒，每${day} ${s.summary} 周报发到协调群。`;
  }

  // A minute before the next weekly summary (this week's, unless it has gone out).
  function jumpToSummary() {
    const s = schedule();
    const p = parts(simNow());
    const target = minutes(s.summary) - 1;
    let days = (s.weekday - simWeekday() + 7) % 7;
    if (days === 0 && +p.hour * 60 + +p.minute >= target) days = 7;
    postClock({ at: `${simDay(days)}T${hhmm(target)}` });
  }

  // ------------------------------------------------------------------ people

  function personLabel(p) {
    const units = p.units && p.units.length ? p.units.join("、") : "未绑定";
    const role = p.role === "coordinator" ? "（协调人）" : "";
    return `${p.name} · ${units}${role}`;
  }

  function renderPeople() {
    const sel = $("person");
    sel.replaceChildren();
    const groups = [["coordinator", "协调人"], ["contact", "单位联络人"], ["new", "其他用户"]];
    for (const [role, label] of groups) {
      const members = state.people.filter((p) => (p.role || "new") === role);
      if (!members.length) continue;
      const og = document.createElement("optgroup");
      og.label = label;
      for (const p of members) {
        const opt = document.createElement("option");
        opt.value = p.user_id;
        opt.textContent = personLabel(p);
        og.appendChild(opt);
      }
      sel.appendChild(og);
    }
    const add = document.createElement("option");
    add.value = "new";
    add.textContent = "+ 新用户…";
    sel.appendChild(add);
    if (state.me !== null) sel.value = String(state.me);
    const me = state.people.find((p) => p.user_id === state.me);
    $("who-units").textContent = me
      ? `用户 ID ${me.user_id}` + (me.role === "new" && !(me.units || []).length ? " · 尚未绑定单位，可用邀请链接绑定" : "")
      : "";
  }

  async function refreshPeople() {
    const wasUnbound = unbound(me());
    try { state.people = await api("/api/people"); } catch (e) { return; /* keep the old list */ }
    renderPeople();
    if (wasUnbound !== unbound(me())) renderMessages(); // just bound: the guide gives way
  }

  async function becomePerson(userId) {
    state.me = userId;
    localStorage.setItem("duban-sandbox-me", String(userId));
    state.messages.clear();
    state.unread.clear();
    state.chat = null;
    cancelReply();
    clearFile();
    renderPeople();
    openEvents();
    await loadChats();
    const first = state.chats[0];
    if (first) await openChat(first.id, true);
  }

  // ------------------------------------------------------------------ chats

  function chatTitle(chat) { return chat.type === "private" ? chat.title : chat.title || "群聊"; }

  function snippet(msg) {
    if (!msg) return "";
    let s = msg.text || msg.caption || "";
    if (!s && msg.photo) s = "[图片]";
    if (!s && msg.document) s = "[文件] " + (msg.document.file_name || "");
    else if (msg.document) s = "[文件] " + s;
    if (state.chat !== null && msg.chat.type !== "private" && msg.from) s = msg.from.first_name + "：" + s;
    return s.replace(/\s+/g, " ").slice(0, 60);
  }

  async function loadChats() {
    if (state.me === null) return;
    state.chats = await api(`/api/chats?user_id=${state.me}`);
    renderChats();
  }

  function renderChats() {
    const list = $("chat-list");
    list.replaceChildren();
    for (const chat of state.chats) {
      const li = document.createElement("li");
      li.dataset.chat = chat.id;
      li.classList.toggle("active", chat.id === state.chat);
      const av = document.createElement("span");
      av.className = "avatar" + (chat.type === "private" ? "" : " group");
      av.textContent = chatTitle(chat).slice(0, 1);
      const text = document.createElement("div");
      text.className = "chat-item-text";
      const title = document.createElement("div");
      title.className = "chat-item-title";
      title.textContent = chatTitle(chat);
      const last = document.createElement("div");
      last.className = "chat-item-last muted";
      last.textContent = snippet(chat.last) || (chat.type === "private" ? "点此与机器人私聊" : "");
      text.append(title, last);
      li.append(av, text);
      const n = state.unread.get(chat.id) || 0;
      if (n) {
        const badge = document.createElement("span");
        badge.className = "badge unread";
        badge.textContent = n;
        li.appendChild(badge);
      }
      li.addEventListener("click", () => openChat(chat.id, false));
      list.appendChild(li);
    }
  }

  async function openChat(chatId, keepListOnPhone) {
    state.chat = chatId;
    state.unread.delete(chatId);
    cancelReply();
    const chat = state.chats.find((c) => c.id === chatId);
    $("chat-title").textContent = chat ? chatTitle(chat) : "";
    $("chat-avatar").textContent = chat ? chatTitle(chat).slice(0, 1) : "";
    $("chat-avatar").className = "avatar" + (chat && chat.type !== "private" ? " group" : "");
    setSubtitle();
    renderChats();
    if (!keepListOnPhone) $("app").classList.add("show-chat");
    try {
      state.messages.set(chatId, await api(`/api/chats/${chatId}/messages?user_id=${state.me}`));
    } catch (e) { fail(e); state.messages.set(chatId, []); }
    renderMessages();
    loadCommands();
  }

  function setSubtitle(text) {
    const chat = state.chats.find((c) => c.id === state.chat);
    if (text) { $("chat-sub").textContent = text; return; }
    if (!chat) { $("chat-sub").textContent = ""; return; }
    $("chat-sub").textContent = chat.type === "private"
      ? "机器人 @" + (chat.username || (state.bot && state.bot.username) || "")
      : `${chat.members} 位成员 · 群里机器人只看命令和对它的回复`;
  }

  // ------------------------------------------------------------------ rendering

  function renderMessages() {
    const box = $("messages");
    box.replaceChildren();
    const list = state.messages.get(state.chat) || [];
    const chat = state.chats.find((c) => c.id === state.chat);
    // A newcomer keeps the how-to-bind guide on top; others get a guide in an empty chat.
    const pinned = chat && chat.type === "private" && unbound(me());
    if (pinned) box.appendChild(guide(chat, "guide pinned"));
    if (!list.length) {
      if (!pinned) box.appendChild(chat ? guide(chat, "empty guide") : emptyNote());
      return;
    }
    for (const msg of list) box.appendChild(renderMessage(msg));
    box.scrollTop = box.scrollHeight;
  }

  function emptyNote() {
    const empty = document.createElement("div");
    empty.className = "empty";
    empty.textContent = "还没有消息。";
    return empty;
  }

  function me() { return state.people.find((p) => p.user_id === state.me); }

  function unbound(person) { return !!person && person.role === "new" && !(person.units || []).length; }

  function coordinatorUnit() {
    const c = state.people.find((p) => p.role === "coordinator");
    return (c && c.units && c.units[0]) || "督办单位";
  }

  // What one can try in this chat, for who one is playing; chips send a command or fill it in.
  function guide(chat, className) {
    const box = document.createElement("div");
    box.className = className;
    const line = (tag, text) => {
      const el = document.createElement(tag);
      el.textContent = text;
      box.appendChild(el);
    };
    const chips = document.createElement("div");
    chips.className = "chips";
    const chip = (label, action, title) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "chip";
      b.textContent = label;
      if (title) b.title = title;
      b.addEventListener("click", action);
      chips.appendChild(b);
    };
    const send = (command) => chip(command, () => sendText(command), "点击发送");
    const fill = (command, example) => chip(command + "…", () => fillComposer(command + " "), `填入输入框，再补上${example}`);
    const person = me() || {};
    const s = schedule();
    if (chat.type !== "private") {
      line("b", chat.title || "协调群");
      line("p", `每${WEEKDAYS[s.weekday]} ${s.summary} 的周报（附进度图）和逾期升级提醒都发到这里。群里机器人只响应命令和对它消息的回复。`);
      chip("跳到周报前一分钟", jumpToSummary, "移动模拟时钟，一分钟后周报到达");
      send("/status");
    } else if (unbound(person)) {
      line("b", "你还没有绑定单位");
      line("p", `正式使用时，请向督办单位（${coordinatorUnit()}）索取邀请链接，点开链接即成为该单位的联络人，之后提醒会发到这里。`);
      line("p", `在沙盒里：① 点「请协调人邀请我」，切换为协调人，在 /invite 后写上单位名称并发送；② 点机器人回复中的邀请链接，选择以「${person.name}」的身份打开。`);
      chip("请协调人邀请我", askForInvite, "切换为协调人并填好 /invite");
      send("/start");
    } else if (person.role === "coordinator") {
      line("b", `你是督办人员（${(person.units || []).join("、") || coordinatorUnit()}）`);
      line("p", "可查看全部任务进度、审核办结和延期申请、邀请单位联络人、预览周报。试试：");
      for (const c of ["/status", "/overdue", "/review", "/units", "/summary preview"]) send(c);
      fill("/invite", "单位名称，如 区商务局");
    } else {
      line("b", `你是${(person.units || []).join("、")}的联络人`);
      line("p", "提醒会发到这里。点任务卡片下的按钮更新进度，或直接回复提醒留言；发送文件并在说明里写 #编号，就是该任务的佐证材料。试试：");
      for (const c of ["/mytasks", "/help"]) send(c);
      fill("/update", "任务编号和状态，如 18 进行中 60%");
    }
    box.appendChild(chips);
    return box;
  }

  function fillComposer(text) {
    const input = $("text");
    input.value = text;
    autoGrow();
    input.focus();
  }

  // A newcomer asks for an invite: play the coordinator, with /invite ready to complete.
  async function askForInvite() {
    const coordinator = state.people.find((p) => p.role === "coordinator");
    if (!coordinator) { toast("沙盒里没有协调人", true); return; }
    state.askedInvite = state.me;
    await becomePerson(coordinator.user_id);
    $("app").classList.add("show-chat");
    fillComposer("/invite ");
    toast("现在你是协调人：在 /invite 后写上单位名称（如 区商务局）并发送，再点回复里的邀请链接。");
  }

  function senderName(user) {
    if (!user) return "";
    return user.is_bot ? user.first_name : [user.first_name, user.last_name].filter(Boolean).join(" ");
  }

  function renderMessage(msg) {
    const mine = msg.from && msg.from.id === state.me;
    const wrap = document.createElement("div");
    wrap.className = "msg" + (mine ? " mine" : "");
    wrap.dataset.id = msg.message_id;
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    if (msg.chat.type !== "private" && !mine) {
      const who = document.createElement("div");
      who.className = "sender";
      who.textContent = senderName(msg.from);
      bubble.appendChild(who);
    }
    if (msg.reply_to_message) {
      const q = document.createElement("div");
      q.className = "quote-reply";
      const b = document.createElement("b");
      b.textContent = senderName(msg.reply_to_message.from);
      q.append(b, document.createTextNode(snippet(msg.reply_to_message) || "…"));
      q.addEventListener("click", () => flash(msg.reply_to_message.message_id));
      bubble.appendChild(q);
    }
    if (msg.photo && msg.photo.length) {
      const img = document.createElement("img");
      img.className = "photo";
      img.alt = msg.caption || "图片";
      img.loading = "lazy";
      const href = "/api/files/" + encodeURIComponent(msg.photo[msg.photo.length - 1].file_id);
      img.src = href;
      img.addEventListener("load", () => { if (isLast(msg)) scrollDown(); });
      const full = document.createElement("a"); // as in Telegram, a tap shows it full size
      full.className = "photo-link";
      full.href = href;
      full.target = "_blank";
      full.rel = "noopener";
      full.title = "查看原图";
      full.appendChild(img);
      bubble.appendChild(full);
    }
    if (msg.document) bubble.appendChild(fileCard(msg.document));
    const body = msg.text !== undefined ? msg.text : msg.caption;
    const ents = msg.text !== undefined ? msg.entities : msg.caption_entities;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = (msg.edit_date ? "已编辑 " : "") + fmtTime(msg.date);
    const replyBtn = document.createElement("button");
    replyBtn.type = "button";
    replyBtn.className = "reply";
    replyBtn.textContent = "回复";
    replyBtn.title = "回复这条消息";
    replyBtn.addEventListener("click", () => startReply(msg));
    meta.appendChild(replyBtn);
    if (body) {
      const text = document.createElement("div");
      text.className = "text";
      renderRich(text, body, ents || []);
      text.appendChild(meta);
      bubble.appendChild(text);
    } else {
      bubble.appendChild(meta);
    }
    wrap.appendChild(bubble);
    const kb = msg.reply_markup && msg.reply_markup.inline_keyboard;
    if (kb && kb.length) wrap.appendChild(keyboard(msg, kb));
    return wrap;
  }

  function isLast(msg) {
    const list = state.messages.get(msg.chat.id) || [];
    return list.length && list[list.length - 1].message_id === msg.message_id;
  }

  function fileCard(doc) {
    const a = document.createElement("a");
    a.className = "file";
    a.href = "/api/files/" + encodeURIComponent(doc.file_id);
    a.download = doc.file_name || "";
    const icon = document.createElement("span");
    icon.className = "file-icon";
    icon.textContent = "↓";
    const info = document.createElement("span");
    const name = document.createElement("div");
    name.className = "file-name";
    name.textContent = doc.file_name || "文件";
    const size = document.createElement("div");
    size.className = "muted";
    size.textContent = humanSize(doc.file_size || 0);
    info.append(name, size);
    a.append(icon, info);
    return a;
  }

  function humanSize(n) {
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KB";
    return (n / 1024 / 1024).toFixed(1) + " MB";
  }

  function keyboard(msg, rows) {
    const box = document.createElement("div");
    box.className = "keyboard";
    for (const row of rows) {
      const r = document.createElement("div");
      r.className = "kb-row";
      for (const button of row) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = button.text + (button.url ? " ↗" : "");
        b.title = button.text;
        b.addEventListener("click", () => pressButton(msg, button, b));
        r.appendChild(b);
      }
      box.appendChild(r);
    }
    return box;
  }

  // Entities nest properly when they come from HTML; partial overlaps are clipped.
  function renderRich(parent, text, entities) {
    const ents = entities.filter((e) => e.length > 0)
      .slice().sort((a, b) => a.offset - b.offset || b.length - a.length);
    build(parent, text, 0, text.length, ents, false);
  }

  function build(parent, text, start, end, ents, plain) {
    let pos = start;
    let i = 0;
    while (i < ents.length) {
      const e = ents[i];
      if (e.offset < pos) { i++; continue; }
      if (e.offset >= end) break;
      appendText(parent, text.slice(pos, e.offset), plain);
      const eEnd = Math.min(e.offset + e.length, end);
      const inner = [];
      let j = i + 1;
      while (j < ents.length && ents[j].offset < eEnd) { inner.push(ents[j]); j++; }
      const [el, content, innerPlain] = elementFor(e, text.slice(e.offset, eEnd));
      build(content, text, e.offset, eEnd, inner, plain || innerPlain);
      parent.appendChild(el);
      pos = eEnd;
      i = j;
    }
    appendText(parent, text.slice(pos, end), plain);
  }

  const SIMPLE = { bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code" };

  function elementFor(e, covered) {
    if (SIMPLE[e.type]) {
      const el = document.createElement(SIMPLE[e.type]);
      return [el, el, e.type === "code"];
    }
    if (e.type === "pre") {
      const pre = document.createElement("pre");
      const code = document.createElement("code");
      if (e.language) code.dataset.language = e.language;
      pre.appendChild(code);
      return [pre, code, true];
    }
    if (e.type === "blockquote" || e.type === "expandable_blockquote") {
      const el = document.createElement("blockquote");
      return [el, el, false];
    }
    if (e.type === "spoiler") {
      const el = document.createElement("span");
      el.className = "spoiler";
      el.title = "点击显示";
      el.addEventListener("click", () => el.classList.toggle("revealed"));
      return [el, el, false];
    }
    if (e.type === "text_link" || e.type === "url") {
      const a = link(e.type === "url" ? covered : e.url);
      return [a, a, true];
    }
    if (e.type === "bot_command") {
      const a = commandLink(covered);
      return [a, a, true];
    }
    const el = document.createElement("span");
    return [el, el, false];
  }

  function link(href) {
    const safe = /^(https?|tg):\/\//i.test(href || "");
    const a = document.createElement(safe ? "a" : "span");
    if (safe) {
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.addEventListener("click", (ev) => {
        const start = startParam(href);
        if (start !== null) { ev.preventDefault(); followStart(start); }
      });
    }
    return a;
  }

  function commandLink(command) {
    const a = document.createElement("a");
    a.className = "command";
    a.href = "#";
    a.title = "点击发送 " + command;
    a.addEventListener("click", (ev) => { ev.preventDefault(); sendText(command.split("@")[0]); });
    return a;
  }

  // Plain text still gets Telegram's automatic links: URLs and /commands.
  const AUTO = /(https?:\/\/[^\s<>"'，。；、）)]+)|((?<![\w/.:@#-])\/[a-z][a-z0-9_]{0,31}(?![\w/]))/gi;

  function appendText(parent, s, plain) {
    if (!s) return;
    if (plain) { parent.appendChild(document.createTextNode(s)); return; }
    let last = 0;
    for (const m of s.matchAll(AUTO)) {
      if (m.index > last) parent.appendChild(document.createTextNode(s.slice(last, m.index)));
      const el = m[1] ? link(m[1]) : commandLink(m[2]);
      el.textContent = m[0];
      parent.appendChild(el);
      last = m.index + m[0].length;
    }
    if (last < s.length) parent.appendChild(document.createTextNode(s.slice(last)));
  }

  function startParam(href) {
    try {
      const u = new URL(href);
      const bot = state.bot && state.bot.username;
      if (u.hostname === "t.me" && bot && u.pathname.replace(/^\//, "").toLowerCase() === bot.toLowerCase()) {
        return u.searchParams.get("start") || "";
      }
    } catch (e) { /* not a URL */ }
    return null;
  }

  // Opening a t.me/<bot>?start=CODE link: Telegram opens the bot's chat and sends /start CODE.
  // An invite link in the coordinator's hands is meant for someone else: ask who opens it.
  async function followStart(code) {
    const person = me();
    if (code && person && person.role === "coordinator") { chooseOpener(code); return; }
    await sendStart(code);
  }

  async function sendStart(code) {
    if (state.chat !== state.me) await openChat(state.me, false);
    await sendText(code ? `/start ${code}` : "/start");
  }

  function chooseOpener(code) {
    const dialog = $("opener");
    const list = $("opener-people");
    list.replaceChildren();
    const newcomers = state.people.filter(unbound)
      .sort((a, b) => (b.user_id === state.askedInvite) - (a.user_id === state.askedInvite));
    for (const p of newcomers) {
      const b = document.createElement("button");
      b.type = "button";
      const twin = newcomers.some((q) => q !== p && q.name === p.name);
      b.textContent = `以「${p.name}」${twin ? `（ID ${p.user_id}）` : ""}的身份打开`;
      b.addEventListener("click", () => openAs(p.user_id, code));
      list.appendChild(b);
    }
    $("opener-self").textContent = `我自己（${me().name}）打开`;
    $("opener-self").onclick = () => { dialog.close(); sendStart(code); };
    $("opener-new").onsubmit = async (ev) => {
      ev.preventDefault();
      const name = $("opener-name").value.trim();
      if (!name) { $("opener-name").focus(); return; }
      try {
        const p = await api("/api/people", { json: { name } });
        state.people.push(p);
        $("opener-name").value = "";
        await openAs(p.user_id, code);
      } catch (e) { fail(e); }
    };
    dialog.showModal();
    if (!newcomers.length) $("opener-name").focus();
  }

  async function openAs(userId, code) {
    $("opener").close();
    state.askedInvite = null;
    await becomePerson(userId);
    $("app").classList.add("show-chat");
    await sendStart(code);
  }

  function flash(messageId) {
    const el = $("messages").querySelector(`.msg[data-id="${messageId}"]`);
    if (!el) return;
    el.scrollIntoView({ block: "center", behavior: "smooth" });
    el.classList.add("flash");
    setTimeout(() => el.classList.remove("flash"), 1200);
  }

  function scrollDown() { const box = $("messages"); box.scrollTop = box.scrollHeight; }

  // ------------------------------------------------------------------ actions

  function startReply(msg) {
    state.replyTo = msg;
    $("reply-who").textContent = senderName(msg.from);
    $("reply-text").textContent = snippet(msg) || "…";
    $("reply-bar").classList.remove("hidden");
    $("text").focus();
  }

  function cancelReply() {
    state.replyTo = null;
    $("reply-bar").classList.add("hidden");
  }

  function clearFile() {
    state.file = null;
    $("file").value = "";
    $("file-bar").classList.add("hidden");
  }

  async function sendText(text) {
    if (state.chat === null || !text.trim()) return;
    const body = { user_id: state.me, text };
    if (state.replyTo) body.reply_to = state.replyTo.message_id;
    try {
      await api(`/api/chats/${state.chat}/messages`, { json: body });
      cancelReply();
    } catch (e) { fail(e); }
  }

  async function sendFile(caption) {
    const form = new FormData();
    form.append("user_id", state.me);
    form.append("file", state.file, state.file.name);
    if (caption) form.append("caption", caption);
    if (state.replyTo) form.append("reply_to", state.replyTo.message_id);
    try {
      await api(`/api/chats/${state.chat}/files`, { method: "POST", body: form });
      cancelReply();
      clearFile();
    } catch (e) { fail(e); }
  }

  async function submit(ev) {
    if (ev) ev.preventDefault();
    const input = $("text");
    const text = input.value;
    hideCommands();
    if (state.file) { input.value = ""; await sendFile(text.trim()); }
    else if (text.trim()) { input.value = ""; await sendText(text); }
    autoGrow();
  }

  async function pressButton(msg, button, el) {
    if (button.url) {
      const start = startParam(button.url);
      if (start !== null) return followStart(start);
      if (/^https?:\/\//i.test(button.url)) window.open(button.url, "_blank", "noopener");
      return;
    }
    if (button.callback_data === undefined) { toast("沙盒不支持这种按钮"); return; }
    el.classList.add("pending");
    try {
      await api(`/api/chats/${msg.chat.id}/press`, {
        json: { user_id: state.me, message_id: msg.message_id, data: button.callback_data },
      });
    } catch (e) { fail(e); }
    setTimeout(() => el.classList.remove("pending"), 800);
  }

  // ------------------------------------------------------------------ commands menu

  async function loadCommands() {
    if (state.chat === null) return;
    try { state.commands = await api(`/api/chats/${state.chat}/commands?user_id=${state.me}`); }
    catch (e) { state.commands = []; }
    $("cmd-btn").classList.toggle("hidden", !state.commands.length);
  }

  function showCommands(filter) {
    const menu = $("cmd-menu");
    menu.replaceChildren();
    const prefix = (filter || "").replace(/^\//, "").toLowerCase();
    const items = state.commands.filter((c) => c.command.startsWith(prefix));
    if (!items.length) { hideCommands(); return; }
    for (const c of items) {
      const row = document.createElement("div");
      row.className = "cmd";
      row.setAttribute("role", "option");
      const name = document.createElement("span");
      name.className = "cmd-name";
      name.textContent = "/" + c.command;
      const desc = document.createElement("span");
      desc.className = "cmd-desc";
      desc.textContent = c.description;
      const fill = document.createElement("button");
      fill.type = "button";
      fill.className = "icon";
      fill.title = "填入输入框（再补上参数）";
      fill.textContent = "✎";
      fill.addEventListener("click", (ev) => {
        ev.stopPropagation();
        $("text").value = "/" + c.command + " ";
        hideCommands();
        $("text").focus();
      });
      row.append(name, desc, fill);
      // Tapping a command sends it at once, as in Telegram.
      row.addEventListener("click", () => { $("text").value = ""; hideCommands(); sendText("/" + c.command); });
      menu.appendChild(row);
    }
    menu.classList.remove("hidden");
  }

  function hideCommands() { $("cmd-menu").classList.add("hidden"); }

  function autoGrow() {
    const t = $("text");
    t.style.height = "auto";
    t.style.height = Math.min(t.scrollHeight, 140) + "px";
  }

  // ------------------------------------------------------------------ live events

  function openEvents() {
    if (state.events) state.events.close();
    const es = new EventSource(`/api/events?user_id=${state.me}`);
    state.events = es;
    let dropped = false;
    es.addEventListener("error", () => { dropped = true; });
    es.addEventListener("open", () => {
      if (dropped && state.chat !== null) { dropped = false; openChat(state.chat, true); loadChats(); }
    });
    es.addEventListener("message", (ev) => onMessage(JSON.parse(ev.data).data));
    es.addEventListener("edit", (ev) => onEdit(JSON.parse(ev.data).data));
    es.addEventListener("delete", (ev) => onDelete(JSON.parse(ev.data).data));
    es.addEventListener("callback_answer", (ev) => {
      const a = JSON.parse(ev.data).data;
      if (a.text) { if (a.show_alert) alert(a.text); else toast(a.text); }
    });
    es.addEventListener("chat_action", (ev) => {
      const d = JSON.parse(ev.data).data;
      if (d.chat_id !== state.chat) return;
      setSubtitle(d.action === "typing" ? "正在输入…" : "正在发送文件…");
      clearTimeout(state.typingTimer);
      state.typingTimer = setTimeout(() => setSubtitle(), 5000);
    });
    es.addEventListener("commands", () => loadCommands());
    es.addEventListener("chat", () => loadChats());
    es.addEventListener("clock", (ev) => setClock(JSON.parse(ev.data).data));
  }

  function onMessage(msg) {
    const chatId = msg.chat.id;
    const list = state.messages.get(chatId);
    if (list && !list.some((m) => m.message_id === msg.message_id)) list.push(msg);
    const chat = state.chats.find((c) => c.id === chatId);
    if (!chat) { loadChats(); return; }
    chat.last = msg;
    if (chatId === state.chat) {
      const box = $("messages");
      const empty = box.querySelector(".empty");
      if (empty) empty.remove();
      box.appendChild(renderMessage(msg));
      scrollDown();
      if (msg.from && msg.from.is_bot) { clearTimeout(state.typingTimer); setSubtitle(); }
    } else if (!(msg.from && msg.from.id === state.me)) {
      state.unread.set(chatId, (state.unread.get(chatId) || 0) + 1);
    }
    renderChats();
    // Someone may just have bound a unit: the picker shows it.
    if (msg.from && msg.from.is_bot && chat.type === "private") refreshPeople();
  }

  function onEdit(msg) {
    const list = state.messages.get(msg.chat.id);
    if (!list) return;
    const i = list.findIndex((m) => m.message_id === msg.message_id);
    if (i >= 0) list[i] = msg;
    if (msg.chat.id !== state.chat) return;
    const old = $("messages").querySelector(`.msg[data-id="${msg.message_id}"]`);
    if (old) old.replaceWith(renderMessage(msg));
  }

  function onDelete(d) {
    const list = state.messages.get(d.chat_id);
    if (list) state.messages.set(d.chat_id, list.filter((m) => m.message_id !== d.message_id));
    if (d.chat_id !== state.chat) return;
    const old = $("messages").querySelector(`.msg[data-id="${d.message_id}"]`);
    if (old) old.remove();
  }

  // ------------------------------------------------------------------ wiring

  function wire() {
    $("person").addEventListener("change", (ev) => {
      const v = ev.target.value;
      if (v === "new") {
        $("new-person").classList.remove("hidden");
        $("new-name").focus();
        return;
      }
      $("new-person").classList.add("hidden");
      becomePerson(Number(v));
    });
    $("person").addEventListener("focus", refreshPeople);
    $("new-person").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const name = $("new-name").value.trim();
      if (!name) return;
      try {
        const p = await api("/api/people", { json: { name } });
        state.people.push(p);
        $("new-name").value = "";
        $("new-person").classList.add("hidden");
        await becomePerson(p.user_id);
        $("app").classList.add("show-chat"); // straight to the guide on how to get bound
      } catch (e) { fail(e); }
    });
    $("composer").addEventListener("submit", submit);
    const input = $("text");
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); submit(); }
      if (ev.key === "Escape") { hideCommands(); cancelReply(); }
    });
    input.addEventListener("input", () => {
      autoGrow();
      const v = input.value;
      if (/^\/[a-z0-9_]*$/i.test(v)) showCommands(v); else hideCommands();
    });
    $("cmd-btn").addEventListener("click", () => {
      if ($("cmd-menu").classList.contains("hidden")) showCommands(""); else hideCommands();
    });
    $("attach").addEventListener("click", () => $("file").click());
    $("file").addEventListener("change", () => {
      const f = $("file").files[0];
      if (!f) return;
      state.file = f;
      $("file-name").textContent = `${f.name}（${humanSize(f.size)}）— 可在输入框写说明，如 #18，然后发送`;
      $("file-bar").classList.remove("hidden");
      $("text").focus();
    });
    $("file-cancel").addEventListener("click", clearFile);
    $("opener-cancel").addEventListener("click", () => $("opener").close());
    $("reply-cancel").addEventListener("click", cancelReply);
    $("back").addEventListener("click", () => $("app").classList.remove("show-chat"));
    $("clock-speed").addEventListener("change", (ev) => postClock({ speed: Number(ev.target.value) }));
    $("clock-at").addEventListener("focus", (ev) => { if (!ev.target.value) ev.target.value = localInput(simNow()); });
    $("clock-jump").addEventListener("click", () => {
      const raw = $("clock-at").value;
      if (!raw.trim()) { toast("请先填写日期和时间，例如 2021-06-28 08:59", true); return; }
      const at = parseInput(raw);
      if (!at) { toast(`没有看懂“${raw}”：请写成 2021-06-28 08:59（24 小时制）`, true); return; }
      postClock({ at });
    });
    $("clock-at").addEventListener("keydown", (ev) => { if (ev.key === "Enter") $("clock-jump").click(); });
    for (const b of document.querySelectorAll("[data-advance]")) {
      b.addEventListener("click", () => postClock({ advance_minutes: Number(b.dataset.advance) }));
    }
    // The server looks for the next morning that has reminders to send, so nobody waits a
    // minute for a sweep with nothing in it; it says so when nothing is due at all.
    $("clock-morning").addEventListener("click", async () => {
      try {
        const out = await api("/api/clock/next-reminders", { json: {} });
        setClock(out.clock);
        toast(out.message, !out.moved);
      } catch (e) { fail(e); }
    });
    $("clock-summary").addEventListener("click", jumpToSummary);
    document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") hideCommands(); });
    document.addEventListener("click", (ev) => {
      if (!ev.target.closest("#cmd-menu") && ev.target.id !== "cmd-btn" && ev.target.id !== "text") hideCommands();
    });
    setInterval(tickClock, 250);
  }

  async function init() {
    wire();
    try {
      const s = await api("/api/state");
      state.bot = s.bot;
      state.people = s.people;
      state.schedule = s.schedule || {};
      renderSchedule();
      if (s.clock) setClock(s.clock); else $("clock-panel").classList.add("hidden");
    } catch (e) { fail(e); return; }
    const saved = Number(localStorage.getItem("duban-sandbox-me"));
    const known = state.people.find((p) => p.user_id === saved);
    const first = known || state.people[0];
    if (first) await becomePerson(first.user_id);
    else { renderPeople(); $("new-person").classList.remove("hidden"); }
  }

  init();
})();
