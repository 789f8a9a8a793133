/* global document, window, EventSource, location -- browser globals: this script runs inlined in the console page */
// The console page's script (page.ts inlines it): keeps the page live from the server's event stream, switches
// channels, and sends the user's slash commands and button clicks to the console, which forwards them to the app
// signed as Slack would. Message HTML arrives rendered and escaped by the server (blockkit-html.ts); this script only
// places it, and builds everything else with textContent.
(() => {
  'use strict';
  const body = document.body;
  const command = body.dataset.command || '/oom';
  let current = body.dataset.currentChannel || '';
  const panes = document.getElementById('panes');
  const empty = document.getElementById('empty');
  const status = document.getElementById('status');
  const title = document.getElementById('channel-title');
  const banner = document.getElementById('banner');
  const channelList = document.querySelector('[data-testid="channel-list"]');
  const form = document.getElementById('command-form');
  const input = document.getElementById('command-input');
  const dialog = document.getElementById('confirm-dialog');
  const confirmOk = document.getElementById('confirm-ok');
  const confirmDeny = document.getElementById('confirm-deny');
  const history = [];
  let historyAt = 0;
  let pendingConfirm;

  const say = (text, kind) => {
    status.textContent = text;
    status.dataset.kind = kind || 'info';
  };
  // Elements are found by comparing attributes, never by building selectors from data.
  const find = (root, selector, test) => Array.from(root.querySelectorAll(selector)).find(test);
  const paneOf = (id) => find(panes, 'section.pane', (p) => p.dataset.channel === id);
  const buttonOf = (id) => find(channelList, 'button.channel', (b) => b.dataset.channel === id);
  const messageOf = (channel, ts) => find(document, 'article[data-testid="message"]', (a) => a.dataset.channel === channel && a.dataset.ts === ts);
  const repliesLabel = (n) => (n === 1 ? '1 reply' : n + ' replies');
  const fromHtml = (html) => {
    const template = document.createElement('template');
    template.innerHTML = html;
    return template.content.firstElementChild;
  };

  function ensureChannel(id, name) {
    let pane = paneOf(id);
    if (pane) return pane;
    pane = document.createElement('section');
    pane.className = 'pane';
    pane.dataset.testid = 'channel-pane';
    pane.dataset.channel = id;
    pane.setAttribute('aria-label', '#' + name);
    pane.hidden = true;
    panes.insertBefore(pane, empty);
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'channel';
    button.dataset.testid = 'channel';
    button.dataset.channel = id;
    button.dataset.name = name;
    const label = document.createElement('span');
    label.className = 'channel-name';
    label.textContent = '#' + name;
    const unread = document.createElement('span');
    unread.className = 'unread';
    unread.dataset.testid = 'unread';
    unread.hidden = true;
    unread.textContent = '0';
    button.append(label, unread);
    item.append(button);
    channelList.append(item);
    if (!current) showChannel(id);
    return pane;
  }

  function showChannel(id) {
    current = id;
    body.dataset.currentChannel = id;
    for (const pane of panes.querySelectorAll('section.pane')) pane.hidden = pane.dataset.channel !== id;
    for (const button of channelList.querySelectorAll('button.channel')) {
      if (button.dataset.channel === id) {
        button.setAttribute('aria-current', 'true');
        title.textContent = '#' + button.dataset.name;
        const unread = button.querySelector('.unread');
        unread.hidden = true;
        unread.textContent = '0';
      } else {
        button.removeAttribute('aria-current');
      }
    }
    const pane = paneOf(id);
    empty.hidden = Boolean(pane && pane.querySelector('article'));
  }

  function addMessage(event) {
    if (messageOf(event.channel, event.ts)) return replaceMessage(event);
    const pane = ensureChannel(event.channel, event.channelName);
    const article = fromHtml(event.html);
    const entry = event.threadTs ? find(pane, '.entry', (e) => e.dataset.rootTs === event.threadTs) : undefined;
    const nearBottom = panes.scrollHeight - panes.scrollTop - panes.clientHeight < 80;
    if (entry) {
      let thread = entry.querySelector('details.thread');
      if (!thread) {
        thread = document.createElement('details');
        thread.className = 'thread';
        thread.dataset.testid = 'thread';
        thread.dataset.threadTs = event.threadTs;
        thread.open = true;
        const replies = document.createElement('div');
        replies.className = 'replies';
        thread.append(document.createElement('summary'), replies);
        entry.append(thread);
      }
      const replies = thread.querySelector('.replies');
      replies.append(article);
      thread.querySelector('summary').textContent = repliesLabel(replies.children.length);
    } else {
      const root = document.createElement('div');
      root.className = 'entry';
      root.dataset.rootTs = event.ts;
      root.append(article);
      pane.append(root);
    }
    if (event.channel === current) {
      empty.hidden = true;
      if (nearBottom) article.scrollIntoView({ block: 'nearest' });
    } else {
      const unread = buttonOf(event.channel).querySelector('.unread');
      unread.textContent = String(Number(unread.textContent) + 1);
      unread.hidden = false;
    }
  }

  function replaceMessage(event) {
    const old = messageOf(event.channel, event.ts);
    if (old) old.replaceWith(fromHtml(event.html));
  }

  function removeMessage(event) {
    const old = messageOf(event.channel, event.ts);
    if (!old) return;
    const entry = old.parentElement;
    if (entry.classList.contains('entry')) {
      if (!entry.querySelector('details.thread')) return entry.remove();
      // A root with replies stays as a tombstone, as in Slack.
      const note = document.createElement('p');
      note.className = 'msg-deleted';
      note.textContent = 'This message was deleted.';
      return old.replaceWith(note);
    }
    const thread = old.closest('details.thread');
    old.remove();
    const left = thread.querySelector('.replies').children.length;
    if (left === 0) thread.remove();
    else thread.querySelector('summary').textContent = repliesLabel(left);
  }

  async function post(path, data) {
    const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(data) });
    let answer;
    try {
      answer = await res.json();
    } catch {
      answer = {};
    }
    if (!res.ok || answer.ok === false) throw new Error(answer.detail || answer.error || 'HTTP ' + res.status);
    return answer;
  }

  function act(button, article) {
    // A url button opens its link and still tells the app, as Slack does.
    if (button.dataset.url) window.open(button.dataset.url, '_blank', 'noopener,noreferrer');
    button.disabled = true;
    say('Sending “' + button.textContent.trim() + '”…');
    post('/ui/action', {
      channel: article.dataset.channel,
      ts: article.dataset.ts,
      actionId: button.dataset.actionId,
      blockId: button.dataset.blockId,
      value: button.dataset.value,
    })
      .then(() => say(''))
      .catch((error) => say('“' + button.textContent.trim() + '” failed: ' + error.message, 'error'))
      .finally(() => {
        button.disabled = false;
      });
  }

  function confirmThen(button, action) {
    document.getElementById('confirm-title').textContent = button.dataset.confirmTitle;
    // Rendered and escaped by the server, like a message body.
    document.getElementById('confirm-text').innerHTML = button.dataset.confirmTextHtml || '';
    confirmOk.textContent = button.dataset.confirmOk || 'Confirm';
    confirmDeny.textContent = button.dataset.confirmDeny || 'Cancel';
    confirmOk.className = 'bk-button ' + (button.dataset.confirmStyle === 'danger' ? 'bk-button--danger' : 'bk-button--primary');
    pendingConfirm = action;
    dialog.showModal();
  }

  confirmOk.addEventListener('click', () => {
    const action = pendingConfirm;
    pendingConfirm = undefined;
    dialog.close();
    if (action) action();
  });
  confirmDeny.addEventListener('click', () => {
    pendingConfirm = undefined;
    dialog.close();
  });
  dialog.addEventListener('cancel', () => {
    pendingConfirm = undefined;
  });

  document.addEventListener('click', (event) => {
    const channel = event.target.closest('button.channel');
    if (channel) return showChannel(channel.dataset.channel);
    const button = event.target.closest('button[data-action-id]');
    const article = button && button.closest('article[data-testid="message"]');
    if (!button || !article || button.disabled) return;
    if (button.dataset.confirmTitle !== undefined) confirmThen(button, () => act(button, article));
    else act(button, article);
  });

  // A select (a storm root's "Explain a workload…") sends the option chosen, as Slack's client does on a choice.
  document.addEventListener('change', (event) => {
    const select = event.target.closest && event.target.closest('select[data-action-id]');
    const article = select && select.closest('article[data-testid="message"]');
    if (!select || !article || !select.value) return;
    const label = select.options[select.selectedIndex].textContent.trim();
    select.disabled = true;
    say('Sending “' + label + '”…');
    post('/ui/action', { channel: article.dataset.channel, ts: article.dataset.ts, actionId: select.dataset.actionId, blockId: select.dataset.blockId, value: select.value })
      .then(() => say(''))
      .catch((error) => say('“' + label + '” failed: ' + error.message, 'error'))
      .finally(() => {
        select.disabled = false;
        select.selectedIndex = 0;
      });
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    let text = input.value.trim();
    if (text === command || text.startsWith(command + ' ')) text = text.slice(command.length).trim();
    history.push(input.value);
    historyAt = history.length;
    input.disabled = true;
    say('Sending ' + command + ' ' + text + '…');
    try {
      await post('/ui/command', current ? { text, channel: current } : { text });
      input.value = '';
      say('');
    } catch (error) {
      say(command + ' failed: ' + error.message, 'error');
    } finally {
      input.disabled = false;
      input.focus();
    }
  });

  input.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') return;
    historyAt = Math.min(Math.max(historyAt + (event.key === 'ArrowUp' ? -1 : 1), 0), history.length);
    input.value = history[historyAt] || '';
    event.preventDefault();
  });

  const events = new EventSource('/events?since=' + encodeURIComponent(body.dataset.seq));
  events.onmessage = (message) => {
    const event = JSON.parse(message.data);
    body.dataset.seq = String(event.seq);
    if (event.kind === 'message' || event.kind === 'ephemeral') addMessage(event);
    else if (event.kind === 'update') replaceMessage(event);
    else if (event.kind === 'delete') removeMessage(event);
    else if (event.kind === 'banner') {
      banner.textContent = event.text;
      banner.hidden = !event.text;
    }
  };
  // The server no longer holds the events this page missed (or restarted): start again from the current state.
  events.addEventListener('reset', () => location.reload());
  events.onerror = () => say('Connection to the console lost; reconnecting…', 'error');
  events.onopen = () => {
    if (status.dataset.kind === 'error') say('');
  };
})();
