// The demo chat page: signs in at the brand (authorization code flow with PKCE), then chats through
// Parley with the client SDK. Each browser tab is a device of its own (sessionStorage), so a second
// window shows the same history and receives new messages live.
import { createParleyClient, createPkcePair } from '/sdk/index.js';

const $ = (selector) => /** @type {HTMLElement} */ (document.querySelector(selector));
const config = await (await fetch('/config.json')).json();

/** A stable id for this tab ("device"), kept across reloads of the tab. */
let deviceId = sessionStorage.getItem('demo.deviceId');
if (!deviceId) {
  deviceId = `web-${crypto.randomUUID().slice(0, 8)}`;
  sessionStorage.setItem('demo.deviceId', deviceId);
}
$('#device-id').textContent = deviceId;

const storage = {
  get: (key) => sessionStorage.getItem(`parley.${key}`),
  set: (key, value) => sessionStorage.setItem(`parley.${key}`, value),
  remove: (key) => sessionStorage.removeItem(`parley.${key}`),
};
const client = createParleyClient({
  baseUrl: config.ingressUrl,
  tenantId: config.tenantId,
  channelId: config.channelId,
  redirectUri: config.redirectUri,
  device: { id: deviceId, platform: 'web' },
  storage,
  // A (re)loaded page starts empty: show the whole thread, then go on live.
  replayHistory: true,
});

function show(view) {
  $('#signin').hidden = view !== 'signin';
  $('#chat').hidden = view !== 'chat';
  $('#logout').hidden = view !== 'chat';
}

async function signIn() {
  const pkce = await createPkcePair();
  const state = crypto.randomUUID();
  sessionStorage.setItem('demo.pkce', JSON.stringify({ verifier: pkce.verifier, state }));
  const url = new URL(config.authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: config.scope,
    state,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    prompt: 'consent',
  }).toString();
  location.assign(url.toString());
}

async function finishSignIn(params) {
  const saved = JSON.parse(sessionStorage.getItem('demo.pkce') ?? 'null');
  sessionStorage.removeItem('demo.pkce');
  history.replaceState(null, '', '/');
  if (params.get('error'))
    throw new Error(`The brand said: ${params.get('error_description') ?? params.get('error')}`);
  if (!saved || saved.state !== params.get('state'))
    throw new Error('This sign-in was not started here; try again.');
  const iss = params.get('iss');
  await client.authorize(params.get('code') ?? '', saved.verifier, iss ? { iss } : undefined);
}

function renderCustomer(data) {
  const set = (field, value) => {
    const element = $(`#customer [data-field="${field}"]`);
    const text = value === null || value === undefined || value === '' ? '—' : String(value);
    if (element.textContent !== text && element.textContent !== '—') {
      element.classList.remove('changed');
      void element.offsetWidth; // restart the highlight
      element.classList.add('changed');
    }
    element.textContent = text;
  };
  set('name', data.name);
  set('id', data.id);
  if (data.fetchedAt) set('fetchedAt', new Date(data.fetchedAt).toLocaleTimeString());
  const list = $('#custom-fields');
  for (const [name, value] of Object.entries(data.customFields ?? {})) {
    let dd = list.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!dd) {
      const dt = document.createElement('dt');
      dt.textContent = name;
      dd = document.createElement('dd');
      dd.dataset.field = name;
      dd.textContent = '—';
      list.append(dt, dd);
    }
    set(name, value);
  }
}

async function refreshCustomer() {
  try {
    const data = await client.getCustomerData();
    if (data) renderCustomer(data);
  } catch (error) {
    console.warn('customer data not available', error);
  }
}

function renderMessage(message) {
  if (document.querySelector(`.message[data-seq="${message.seq}"]`)) return;
  const item = document.createElement('li');
  item.className = 'message';
  item.dataset.seq = String(message.seq);
  item.dataset.authorKind = message.author.kind;
  const meta = document.createElement('div');
  meta.className = 'meta';
  const who =
    message.author.kind === 'customer'
      ? `${message.author.name ?? 'You'}${message.deviceId ? ` · ${message.deviceId === deviceId ? 'this device' : message.deviceId}` : ''}`
      : (message.author.name ?? message.author.kind);
  const unavailable = message.customerData?.status === 'unavailable' ? ' · customer data unavailable' : '';
  meta.textContent = `${who} · ${new Date(message.sentAt).toLocaleTimeString()}${unavailable}`;
  const text = document.createElement('div');
  text.className = 'text';
  text.textContent = message.text;
  item.append(meta, text);
  const list = $('#messages');
  list.append(item);
  list.scrollTop = list.scrollHeight;
}

client.onMessage((message) => {
  renderMessage(message);
  // The customer's own message was enriched with fresh data from the brand: show it.
  if (message.author.kind === 'customer') void refreshCustomer();
});
client.onStatus((status) => {
  const labels = {
    idle: 'not connected',
    connecting: 'connecting…',
    live: 'live',
    offline: 'offline — reconnecting',
    reauthentication_required: 'sign in again',
    signed_out: 'signed out',
  };
  const element = $('#status');
  element.dataset.status = status;
  element.textContent = labels[status] ?? status;
});
client.onReauthenticationRequired(() => {
  $('#reauth').hidden = false;
  $('#send').toggleAttribute('disabled', true);
});

$('#sign-in').addEventListener('click', () => void signIn());
$('#reauth-sign-in').addEventListener('click', () => void signIn());
$('#logout').addEventListener('click', async () => {
  await client.logout().catch((error) => console.warn('logout failed', error));
  $('#messages').replaceChildren();
  show('signin');
});
$('#composer').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ ($('#text'));
  const text = input.value.trim();
  if (!text) return;
  $('#send-error').hidden = true;
  input.value = '';
  try {
    await client.send(text);
  } catch (error) {
    input.value = text;
    if (error?.code === 'reauthentication_required') return; // the banner says it
    $('#send-error').textContent = `Not sent: ${error?.message ?? error}`;
    $('#send-error').hidden = false;
  }
});

async function main() {
  const params = new URLSearchParams(location.search);
  if (location.pathname === '/callback') {
    try {
      await finishSignIn(params);
    } catch (error) {
      show('signin');
      $('#signin-error').textContent = error?.message ?? String(error);
      $('#signin-error').hidden = false;
      return;
    }
  } else if (!client.resume()) {
    show('signin');
    return;
  }
  show('chat');
  const customer = client.session?.customer;
  if (customer) renderCustomer({ ...customer, fetchedAt: null });
  void refreshCustomer();
}
void main();
