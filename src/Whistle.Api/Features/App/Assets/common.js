// What the field app and the desk share: the words in two languages, the credential, the one way
// they talk to the API (conditional requests, problem details), and a few DOM helpers.
// Plain modules, no library: a .NET maintainer changes a label without a build chain.

export const base = document.querySelector('meta[name="whistle-base"]')?.content ?? '';
export const api_root = `${base}/api/v1`;

// ---- Words: Chinese first, English on request ---------------------------------------------------
const WORDS = {
  signIn: ['登录', 'Sign in'],
  signOut: ['退出', 'Sign out'],
  apiKey: ['密钥（管理员发放）', 'Key (from your admin)'],
  keyHelp: ['粘贴管理员给您的密钥，或扫描二维码打开的链接会自动填写。', 'Paste the key your admin made for you; a link from the QR code fills it in.'],
  badKey: ['密钥无效或已吊销', 'The key is unknown or revoked'],
  offline: ['离线', 'Offline'],
  online: ['在线', 'Online'],
  language: ['English', '中文'],
  file: ['上报', 'Report'],
  mine: ['我的工单', 'My orders'],
  outbox: ['发件箱', 'Outbox'],
  category: ['问题类别', 'Category'],
  searchCategory: ['搜索类别', 'Search categories'],
  recent: ['最近使用', 'Recently used'],
  title: ['标题', 'Title'],
  description: ['问题描述', 'Description'],
  photos: ['从相册选择照片', 'Choose photos'],
  camera: ['拍照', 'Take a photo'],
  address: ['地址（可选）', 'Address (optional)'],
  position: ['位置', 'Position'],
  waitingFix: ['正在定位…', 'Finding your position…'],
  accuracy: ['精度', 'accuracy'],
  poorFix: ['定位精度较差，可在地图上点选或选择网格', 'The position is rough: tap the map or choose the grid'],
  noGps: ['无法获取定位，请在地图上点选或选择网格', 'No position: tap the map or choose the grid'],
  useGps: ['使用当前定位', 'Use my position'],
  pinHint: ['点击地图放置位置', 'Tap the map to place the pin'],
  grid: ['网格', 'Grid'],
  gridAuto: ['按位置自动确定', 'Found from the position'],
  inGrid: ['位于网格', 'In grid'],
  outsideGrids: ['不在任何网格内', 'Not in any grid'],
  urgent: ['紧急', 'Urgent'],
  nearby: ['附近可能重复的工单', 'Possible duplicates nearby'],
  sameProblem: ['这是同一问题', 'This is the same problem'],
  notSame: ['不是同一问题', 'Not the same'],
  markedSame: ['已标记为同一问题：', 'Marked as the same problem as '],
  submit: ['提交', 'Send'],
  saveDraft: ['存草稿', 'Save draft'],
  saved: ['已保存，等待发送', 'Saved; waiting to send'],
  drafts: ['草稿', 'Drafts'],
  queued: ['待发送', 'Waiting to send'],
  sent: ['已发送', 'Sent'],
  refused: ['被拒绝，请修改', 'Refused: please correct'],
  sendNow: ['立即发送', 'Send now'],
  edit: ['修改', 'Edit'],
  remove: ['删除', 'Delete'],
  nextTry: ['下次尝试', 'next try'],
  attempts: ['尝试次数', 'attempts'],
  signInAgain: ['登录已失效，请重新登录；待发送的工单会保留', 'Please sign in again; your queued reports are kept'],
  otherOwner: ['属于其他账号，登录该账号后发送', 'Belongs to another sign-in; it is sent when that person signs in'],
  required: ['必填', 'required'],
  state: ['状态', 'State'],
  department: ['责任部门', 'Department'],
  deadlines: ['时限', 'Deadlines'],
  acknowledgeBy: ['签收时限', 'Acknowledge by'],
  resolveBy: ['办结时限', 'Resolve by'],
  overdue: ['已超期', 'Overdue'],
  result: ['处理结果', 'Result'],
  evaluate: ['评价', 'Evaluate'],
  satisfied: ['满意', 'Satisfied'],
  basicallySatisfied: ['基本满意', 'Basically satisfied'],
  unsatisfied: ['不满意', 'Unsatisfied'],
  comment: ['意见', 'Comment'],
  refresh: ['刷新', 'Refresh'],
  nothing: ['暂无', 'Nothing yet'],
  loading: ['加载中…', 'Loading…'],
  back: ['返回', 'Back'],
  history: ['处理记录', 'History'],
  parts: ['协办部门', 'Joint handling'],
  before: ['处置前', 'Before'],
  after: ['处置后', 'After'],
  queue: ['工单队列', 'Queue'],
  text: ['搜索', 'Search'],
  all: ['全部', 'All'],
  onlyOverdue: ['只看超期', 'Overdue only'],
  total: ['共', 'Total'],
  newOrders: ['条新变化', 'changed'],
  more: ['更多', 'More'],
  conflict: ['工单已被他人更新，已显示最新状态；您填写的内容已保留', 'Someone changed this order; it now shows as it is, and what you typed is kept'],
  done: ['已完成', 'Done'],
  kept: ['您填写的内容', 'What you typed'],
  credentials: ['发放密钥', 'Issue a key'],
  role: ['角色', 'Role'],
  name: ['姓名', 'Name'],
  link: ['登录链接（含密钥，只显示一次）', 'Sign-in link (holds the key, shown once)'],
  create: ['创建', 'Create'],
  desk: ['工作台', 'Desk'],
  field: ['现场上报', 'Field app'],
  who: ['当前用户', 'Signed in as'],
  map: ['地图', 'Map'],
  zoomIn: ['放大', 'Zoom in'],
  zoomOut: ['缩小', 'Zoom out'],
  photoCount: ['张照片', 'photos'],
  shrinking: ['正在压缩照片…', 'Shrinking photos…'],
  filedAt: ['上报时间', 'Filed'],
};

const LANGUAGE_STORAGE = 'whistle.app.language';
let language = (() => {
  try {
    return localStorage.getItem(LANGUAGE_STORAGE) === 'en' ? 1 : 0;
  } catch {
    return 0;
  }
})();

/** A word in the chosen language. */
export const t = key => WORDS[key]?.[language] ?? key;

/** Writes every element's data-i18n word (its text) and data-i18n-label (its aria-label). */
export function translate(root = document) {
  document.documentElement.lang = language ? 'en' : 'zh-CN';
  for (const element of root.querySelectorAll('[data-i18n]')) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const element of root.querySelectorAll('[data-i18n-label]')) {
    element.setAttribute('aria-label', t(element.dataset.i18nLabel));
  }
  for (const element of root.querySelectorAll('[data-i18n-placeholder]')) {
    element.placeholder = t(element.dataset.i18nPlaceholder);
  }
}

export function switchLanguage() {
  language = 1 - language;
  try {
    localStorage.setItem(LANGUAGE_STORAGE, language ? 'en' : 'zh');
  } catch { /* storage off: this page only */ }
  translate();
}

// The API's own names for states, actions and ratings, in the chosen language.
const NAMES = {
  discovered: ['待吹哨', 'Discovered'], whistled: ['已吹哨', 'Whistled'], acknowledged: ['已签收', 'Acknowledged'],
  returned: ['已退回', 'Returned'], resolved: ['已办结', 'Resolved'], closed: ['已关闭', 'Closed'],
  'handled-locally': ['社区自办', 'Handled locally'], cancelled: ['已撤销', 'Cancelled'],
  'return-under-review': ['退单审核中', 'Return under review'], merged: ['已并单', 'Merged'],
  whistle: ['吹哨派单', 'Whistle'], 'handle-locally': ['社区自办', 'Handle locally'], acknowledge: ['签收', 'Acknowledge'],
  return: ['退单', 'Return'], resolve: ['办结', 'Resolve'], evaluate: ['评价', 'Evaluate'], cancel: ['撤销', 'Cancel'],
  escalate: ['督办', 'Escalate'], 'close-unevaluated': ['关闭（未评价）', 'Close unevaluated'],
  'request-extension': ['申请延期', 'Request extension'], 'approve-extension': ['批准延期', 'Approve extension'],
  'refuse-extension': ['驳回延期', 'Refuse extension'], reassign: ['改派', 'Reassign'], summon: ['加派协办', 'Summon'],
  'approve-return': ['同意退单', 'Approve return'], 'refuse-return': ['驳回退单', 'Refuse return'], merge: ['并单', 'Merge'],
  report: ['报到', 'Report for duty'], complete: ['完成', 'Complete'], decline: ['拒绝', 'Decline'], waive: ['免除', 'Waive'],
  satisfied: ['满意', 'Satisfied'], 'basically-satisfied': ['基本满意', 'Basically satisfied'], unsatisfied: ['不满意', 'Unsatisfied'],
  lead: ['主办', 'Lead'], 'co-handler': ['协办', 'Co-handler'], summoned: ['待报到', 'Summoned'], reported: ['已报到', 'Reported'],
  done: ['已完成', 'Done'],
  kept: ['您填写的内容', 'What you typed'], declined: ['已拒绝', 'Declined'], waived: ['已免除', 'Waived'],
  'grid-worker': ['网格员', 'Grid worker'], community: ['社区', 'Community'], department: ['部门', 'Department'],
  supervisor: ['督办', 'Supervisor'], admin: ['管理员', 'Admin'], dashboard: ['大屏', 'Dashboard'],
};
export const nameOf = wire => NAMES[wire]?.[language] ?? wire;

// ---- The credential ------------------------------------------------------------------------------
const CREDENTIAL_STORAGE = 'whistle.app.credential';
const ME_STORAGE = 'whistle.app.me';

/**
 * The key (or JWT) this browser signs in with. An admin's QR code or link carries it as #key=…: the
 * fragment never reaches a server or a log; it is kept here and taken out of the address bar.
 */
export function credential() {
  try {
    const hash = new URLSearchParams(location.hash.slice(1));
    const fromLink = hash.get('key');
    if (fromLink) {
      localStorage.setItem(CREDENTIAL_STORAGE, fromLink.trim());
      localStorage.removeItem(ME_STORAGE);
      history.replaceState(null, '', location.pathname + location.search);
    }
    return localStorage.getItem(CREDENTIAL_STORAGE);
  } catch {
    return null;
  }
}

export function remember(key, me) {
  localStorage.setItem(CREDENTIAL_STORAGE, key);
  localStorage.setItem(ME_STORAGE, JSON.stringify(me));
}

/** Who signed in last, as the API said (kept so the app knows them offline). */
export function rememberedMe() {
  try {
    return JSON.parse(localStorage.getItem(ME_STORAGE) ?? 'null');
  } catch {
    return null;
  }
}

/** Forgets the key and who it was; never the outbox. */
export function signOut() {
  localStorage.removeItem(CREDENTIAL_STORAGE);
  localStorage.removeItem(ME_STORAGE);
}

export function authHeaders(key = credential()) {
  if (!key) {
    return {};
  }
  // Three dot-separated parts: a JWT, sent as a bearer token; anything else is an API key.
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(key) ? { Authorization: `Bearer ${key}` } : { 'X-Api-Key': key };
}

// ---- Talking to the API ----------------------------------------------------------------------------
/** An answer that is not a success: its status and the RFC 9457 problem the API sent with it. */
export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(describeProblem(problem) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? {};
    this.retryAfter = retryAfter;
  }
}

/** A network failure (offline, connection dropped): nothing is known of what the server did. */
export class NetworkError extends Error {}

/** The problem's own words: its title and detail, then each field's errors. */
export function describeProblem(problem) {
  if (!problem) {
    return '';
  }
  const lines = [problem.detail ? `${problem.title ?? ''}: ${problem.detail}` : problem.title ?? ''];
  for (const [field, messages] of Object.entries(problem.errors ?? {})) {
    lines.push(`${field}: ${[].concat(messages).join(' ')}`);
  }
  return lines.filter(Boolean).join('\n');
}

const etags = new Map(); // url -> { etag, body }

/**
 * One call to the API. GETs send If-None-Match for what they hold and answer the held body on 304.
 * Anything else than 2xx/304 throws ApiError with the problem; a failed fetch throws NetworkError.
 */
export async function api(path, { method = 'GET', body, headers = {}, key, conditional = method === 'GET', raw = false } = {}) {
  const url = `${api_root}${path}`;
  const held = conditional ? etags.get(url) : undefined;
  const request = { method, headers: { Accept: 'application/json', ...authHeaders(key), ...headers } };
  if (held) {
    request.headers['If-None-Match'] = held.etag;
  }
  if (body instanceof FormData || body instanceof Blob) {
    request.body = body;
  } else if (body !== undefined) {
    request.headers['Content-Type'] = 'application/json';
    request.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, request);
  } catch (error) {
    throw new NetworkError(error.message);
  }
  if (response.status === 304 && held) {
    return { status: 304, body: held.body, etag: held.etag, changed: false, headers: response.headers };
  }
  if (!response.ok) {
    let problem;
    try {
      problem = await response.json();
    } catch {
      problem = { title: response.statusText || `HTTP ${response.status}` };
    }
    const retryAfter = Number(response.headers.get('Retry-After'));
    throw new ApiError(response.status, problem, Number.isFinite(retryAfter) ? retryAfter : undefined);
  }
  const result = raw ? await response.blob() : response.status === 204 ? null : await response.json();
  const etag = response.headers.get('ETag');
  if (conditional && etag) {
    etags.set(url, { etag, body: result });
  }
  return { status: response.status, body: result, etag, changed: true, headers: response.headers };
}

/** Who the credential belongs to (GET /me); null when the API refuses the key. */
export async function whoAmI(key) {
  const { body } = await api('/me', { key, conditional: false });
  return body;
}

export const may = (me, operation) => (me?.operations ?? []).includes(operation);

// ---- Photos shown from the API: fetched with the key, shown as blob: URLs ---------------------------
const photoUrls = new Map();
export async function photoUrl(path) {
  if (!photoUrls.has(path)) {
    photoUrls.set(path, api(path.slice(path.indexOf('/api/v1/') + 7), { raw: true, conditional: false }).then(r => URL.createObjectURL(r.body)));
  }
  return photoUrls.get(path);
}

// ---- DOM --------------------------------------------------------------------------------------------
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      node.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(node.dataset, value);
    } else {
      node.setAttribute(name, value === true ? '' : value);
    }
  }
  node.append(...children.flat().filter(c => c !== undefined && c !== null && c !== false));
  return node;
}

/** Replaces the node's children, leaving out the absent ones (a condition's null or false). */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter(c => c !== undefined && c !== null && c !== false));
  return node;
}

const zone = 'Asia/Shanghai';
export function when(iso) {
  if (!iso) {
    return '—';
  }
  return new Intl.DateTimeFormat(language ? 'en-GB' : 'zh-CN', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).format(new Date(iso));
}

/** A fresh id: the filing's Idempotency-Key, made on the phone and kept across every retry. */
export const newId = () => (crypto.randomUUID ? crypto.randomUUID()
  : ([1e7] + -1e3 + -4e3 + -8e3 + -1e11).replace(/[018]/g, c => (c ^ crypto.getRandomValues(new Uint8Array(1))[0] & 15 >> c / 4).toString(16)));

/** Shows a short message in the page's status line (a live region, so screen readers hear it). */
export function say(text, kind = '') {
  const status = document.getElementById('status');
  if (status) {
    status.textContent = text;
    status.className = kind;
  }
}

/** Registers the service worker that keeps the shell for offline use (never in the way of the API). */
export function installWorker() {
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register(`${base}/app/sw.js`, { scope: `${base}/app/` }).catch(() => { /* the app works without it, online */ });
  }
}

/** Connects the sign-in form, the language switch and the network badge; calls start(me) once signed in. */
export async function signInFlow(start) {
  const form = document.getElementById('sign-in');
  const main = document.getElementById('main');
  const network = document.getElementById('network');
  const showNetwork = () => {
    network.textContent = navigator.onLine ? t('online') : t('offline');
    network.className = navigator.onLine ? 'online' : 'offline';
  };
  addEventListener('online', showNetwork);
  addEventListener('offline', showNetwork);
  document.getElementById('language').addEventListener('click', () => {
    switchLanguage();
    showNetwork();
    document.dispatchEvent(new Event('whistle:language'));
  });
  translate();
  showNetwork();

  const open = me => {
    form.hidden = true;
    main.hidden = false;
    const who = document.getElementById('who');
    const scope = [me.departmentName ?? me.departmentCode, me.communityName ?? me.communityCode, me.streetName ?? me.streetCode,
      (me.gridCodes ?? []).join(' ')].filter(Boolean).join(' · ');
    who.replaceChildren(element('strong', {}, me.name), ` ${nameOf(me.role)}`, scope ? ` · ${scope}` : '');
    document.getElementById('sign-out').hidden = false;
    start(me);
  };
  const ask = message => {
    form.hidden = false;
    main.hidden = true;
    document.getElementById('sign-out').hidden = true;
    document.getElementById('sign-in-error').textContent = message ?? '';
    form.elements.apiKey.focus();
  };

  form.addEventListener('submit', async event => {
    event.preventDefault();
    const key = form.elements.apiKey.value.trim();
    if (!key) {
      return;
    }
    try {
      const me = await whoAmI(key);
      remember(key, me);
      form.elements.apiKey.value = '';
      open(me);
    } catch (error) {
      ask(error instanceof ApiError ? t('badKey') : error.message);
    }
  });
  document.getElementById('sign-out').addEventListener('click', () => {
    signOut();
    location.reload();
  });

  const key = credential();
  if (!key) {
    ask();
    return;
  }
  try {
    const me = await whoAmI(key);
    remember(key, me);
    open(me);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      signOut();
      ask(t('badKey'));
    } else if (rememberedMe()) {
      open(rememberedMe()); // offline: the app works from what it knew
    } else {
      ask(error.message);
    }
  }
}
