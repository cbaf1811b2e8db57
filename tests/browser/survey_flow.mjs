// Headless Chromium scenario for PX360 surveys (issue 6, "Done when"), once in Arabic and once in
// English: the hospital's system posts an event that completes the OPD consultation stage; the
// patient's invitation appears in the outbox (PX admin); its link opens the survey on a
// phone-sized browser in the patient's language (right-to-left in Arabic); the patient answers
// low, a question revealed by the low score included; the thank-you page shows; the negative
// survey's PX Action is in the coordinator's "My work"; the survey's detail page shows the
// answers and the template's results page counts the response and draws its charts.
//
//   node tests/browser/survey_flow.mjs http://127.0.0.1:PORT
//
// Normally run by tests/browser/run.sh, which starts the demo server (`px360 demo`).
// Env: CHROMIUM_PATH, BROWSER_ARTIFACTS, BROWSER_STEP_TIMEOUT_MS (as the other scenarios).
// Any console error, page error, failed sub-request or CSP violation fails the run.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BASE = (process.argv[2] || '').replace(/\/+$/, '');
if (!/^https?:\/\//.test(BASE)) {
  console.error('usage: node survey_flow.mjs http://127.0.0.1:PORT');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = process.env.BROWSER_ARTIFACTS || fs.mkdtempSync(path.join(os.tmpdir(), 'px360-browser-artifacts-'));
fs.mkdirSync(ARTIFACTS, { recursive: true });
const STEP_TIMEOUT = Number(process.env.BROWSER_STEP_TIMEOUT_MS) || 10_000;
const NAV_TIMEOUT = 2 * STEP_TIMEOUT;
const PASSWORD = 'px360-demo-pass';
const PX_ADMIN = 'admin@px360.demo';
const HOSPITAL_ADMIN = 'hospital.admin@px360.demo';
const COORDINATOR = 'coordinator@px360.demo';

class StepError extends Error {}
function fail(msg) { throw new StepError(msg); }
function expect(cond, msg) { if (!cond) fail(msg); }

// ---- browser-side problems (the same rules as the other scenarios) ----
const problems = [];
function watchPage(page, who) {
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Content-Security-Policy/i.test(text)) problems.push(`[${who}] CSP: ${text}`);
    else if (/^Failed to load resource/.test(text)) { /* the response handler reports real ones */ }
    else if (msg.type() === 'error') problems.push(`[${who}] console error on ${page.url()}: ${text}`);
  });
  page.on('pageerror', (err) => problems.push(`[${who}] page error on ${page.url()}: ${err && err.stack ? err.stack : err}`));
  page.on('response', (res) => {
    const req = res.request();
    if (res.status() < 400 || req.isNavigationRequest()) return;
    if (new URL(res.url()).pathname === '/favicon.ico') return;
    problems.push(`[${who}] subresource ${req.method()} ${res.url()} answered ${res.status()}`);
  });
}

function pathOf(page) {
  const u = new URL(page.url());
  return u.pathname + u.search;
}

async function snippet(page, selector) {
  try {
    const html = await page.locator(selector).first().evaluate((el) => el.outerHTML, null, { timeout: 1000 });
    return html.replace(/\s+/g, ' ').slice(0, 1500);
  } catch {
    return '(none)';
  }
}

async function goto(page, url, what) {
  const res = await page.goto(url.startsWith('http') ? url : `${BASE}${url}`, { waitUntil: 'load', timeout: NAV_TIMEOUT });
  expect(res && res.status() === 200, `${what}: GET ${url} answered ${res && res.status()}; ${await snippet(page, 'main')}`);
  return res;
}

async function login(page, email) {
  await goto(page, '/login/', `login page for ${email}`);
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load', timeout: NAV_TIMEOUT }), page.click('#login')]);
  expect(pathOf(page) === '/', `logging in as ${email} ended on ${pathOf(page)}`);
}

async function shot(page, name) {
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage: true, timeout: STEP_TIMEOUT });
  console.log(`    screenshot: ${file}`);
}

// ---- the JSON API (what the hospital's system and the checks use) ----
const tokens = {};
async function api(method, url, who, body) {
  if (!tokens[who]) {
    const r = await fetch(`${BASE}/api/auth/token/`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: who, password: PASSWORD }),
    });
    expect(r.ok, `API login as ${who}: ${r.status}`);
    tokens[who] = (await r.json()).access;
    expect(tokens[who], `API login as ${who}: no access token`);
  }
  const r = await fetch(`${BASE}${url}`, {
    method,
    headers: { authorization: `Bearer ${tokens[who]}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text };
}

async function until(what, fn, ms = 20_000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  fail(`${what}: not seen within ${ms} ms`);
}

// ---- answering: the lowest value of every shown question, a comment where text is asked ----
async function answerShown(page, comment) {
  const sets = page.locator('fieldset.survey-question:not([disabled])');
  const n = await sets.count();
  let answered = 0;
  for (let i = 0; i < n; i += 1) {
    const fs1 = sets.nth(i);
    const kind = await fs1.getAttribute('data-kind');
    const code = await fs1.getAttribute('data-code');
    const text = fs1.locator('textarea, input[type="text"]');
    if (await text.count()) {
      if (!(await text.first().inputValue())) { await text.first().fill(comment); answered += 1; }
      continue;
    }
    const options = fs1.locator('input[type="radio"], input[type="checkbox"]');
    const count = await options.count();
    if (!count || await fs1.locator('input:checked').count()) continue;
    // The lowest rating/NPS/"no": the option with the smallest number, else the last (no), else the first.
    const values = await options.evaluateAll((os) => os.map((o) => o.value));
    let pick = 0;
    const nums = values.map((v) => Number(v));
    if (nums.every((x) => !Number.isNaN(x))) pick = nums.indexOf(Math.min(...nums));
    else if (values.includes('no')) pick = values.indexOf('no');
    const id = await options.nth(pick).getAttribute('id');
    await page.locator(`label[for="${id}"]`).click({ timeout: STEP_TIMEOUT });
    expect(await options.nth(pick).isChecked(), `question ${code} (${kind}): clicking the label of ${values[pick]} did not check it`);
    answered += 1;
  }
  return answered;
}

const steps = [];
const S = {};
function step(name, fn) { steps.push({ name, fn }); }

for (const lang of ['ar', 'en']) {
  const stamp = `${Date.now()}`.slice(-8);
  const mrn = `BRW-${lang.toUpperCase()}-${stamp}`;
  // Each language's patient has a phone of their own (the stamp is the same for both runs).
  const phone = `059${lang === 'ar' ? 1 : 2}${stamp.slice(-6)}`;
  // Digits in comments are masked on staff pages (they may be phone numbers): a word instead.
  const word = [...stamp].map((d) => 'abcdefghij'[Number(d)]).join('');
  const comment = lang === 'ar' ? `انتظار طويل ${word}` : `Long wait ${word}`;
  const R = {};

  step(`${lang}: the hospital's system completes the consultation stage`, async () => {
    const ev = {
      source_system: 'his', event_code: 'OPD_CONSULTATION_DONE', encounter_id: `ENC-${mrn}`, patient_identifier: mrn,
      payload_json: { department_code: 'OUT-002', custom_fields: { patient_phone: phone } },
    };
    const r = await api('POST', '/api/integrations/events/', HOSPITAL_ADMIN, ev);
    expect(r.status === 201, `POST event: ${r.status} ${r.text.slice(0, 300)}`);
  });

  step(`${lang}: the invitation is in the outbox with the survey link`, async () => {
    const m = await until('the survey invitation', async () => {
      const r = await api('GET', `/api/notifications/messages/?search=${phone.slice(1)}&template_code=survey_invitation`, PX_ADMIN);
      return r.status === 200 && r.json.results && r.json.results[0];
    });
    await goto(S.admin, `/notifications/outbox/${m.id}/`, 'the message in the outbox');
    const body = await S.admin.locator('main').innerText();
    const link = body.match(/https?:\/\/\S+\/s\/[0-9a-f]{64}\//);
    expect(link, `the outbox message shows no survey link: ${body.slice(0, 400)}`);
    R.link = new URL(link[0]).pathname + (lang === 'en' ? '?lang=en' : '');
    R.patientId = m.patient_id;
  });

  step(`${lang}: the link opens the survey on a phone, ${lang === 'ar' ? 'right-to-left' : 'left-to-right'}`, async () => {
    S.current = S.patient;
    await goto(S.patient, R.link, 'the survey link');
    const d = await S.patient.evaluate(() => ({ dir: document.documentElement.dir, lang: document.documentElement.lang }));
    expect(d.lang === lang && d.dir === (lang === 'ar' ? 'rtl' : 'ltr'), `survey page: lang=${d.lang} dir=${d.dir}`);
    const policy = await S.patient.evaluate(() => document.querySelector('meta[name="referrer"]')?.content);
    expect(policy === 'no-referrer', `no referrer policy on the survey page (${policy})`);
    expect(await S.patient.locator('fieldset.survey-question:not([disabled])').count() > 0, 'no question shown');
    const wide = await S.patient.evaluate(() => document.documentElement.scrollWidth);
    expect(wide <= 392, `the page scrolls sideways on a phone (${wide} px wide)`);
    await shot(S.patient, `survey-${lang}.png`);
  });

  step(`${lang}: the patient answers low and submits`, async () => {
    for (let round = 0; round < 4; round += 1) {
      // Answering may reveal questions (the page's script shows them at once): answer until none is left.
      while (await answerShown(S.patient, comment) > 0) { /* next pass */ }
      await Promise.all([S.patient.waitForNavigation({ waitUntil: 'load', timeout: NAV_TIMEOUT }), S.patient.click('#survey-submit')]);
      if (await S.patient.locator('#survey-thanks').count()) break;
      const errs = await S.patient.locator('.survey-error').allInnerTexts();
      expect(round < 3, `still not finished after ${round + 1} submissions; errors: ${JSON.stringify(errs)}`);
    }
    expect(await S.patient.locator('#survey-thanks').count() === 1, `no thank-you page: ${await snippet(S.patient, 'main')}`);
    await shot(S.patient, `survey-thanks-${lang}.png`);
    // The link is single-use.
    const again = await S.patient.goto(`${BASE}${R.link}`, { waitUntil: 'load' });
    expect(again.status() === 409, `opening the answered link again answered ${again.status()}`);
  });

  step(`${lang}: the negative survey's PX Action is in the coordinator's My work`, async () => {
    const s = await until('the completed survey', async () => {
      const r = await api('GET', `/api/surveys/instances/?search=${mrn}`, COORDINATOR);
      expect(r.status === 200, `surveys list: ${r.status} ${r.text.slice(0, 200)}`);
      return r.json.results.find((x) => x.status === 'completed');
    });
    expect(s.is_negative && s.action_id, `the survey is not negative or has no action: ${JSON.stringify(s)}`);
    R.survey = s;
    const a = await api('GET', `/api/actions/${s.action_id}/`, COORDINATOR);
    expect(a.status === 200, `action: ${a.status}`);
    S.current = S.coordinator;
    await goto(S.coordinator, '/complaints/my-work/', 'My work');
    const html = await S.coordinator.content();
    expect(html.includes(a.json.reference_number), `My work does not list ${a.json.reference_number}`);
  });

  step(`${lang}: the survey page shows the answers and the results page counts the response`, async () => {
    await goto(S.coordinator, `/surveys/${R.survey.id}/`, 'survey detail');
    const text = await S.coordinator.locator('main').innerText();
    expect(text.includes(comment), `the survey detail does not show the comment "${comment}"`);
    await goto(S.coordinator, `/surveys/templates/${R.survey.survey_template_id}/results/`, 'results page');
    const canvases = await S.coordinator.locator('canvas').count();
    expect(canvases > 0, 'the results page draws no chart');
    const r = await api('GET', `/api/surveys/templates/${R.survey.survey_template_id}/results/`, COORDINATOR);
    expect(r.status === 200, `results API: ${r.status}`);
    const completed = JSON.stringify(r.json).match(/"completed":\s*(\d+)/);
    expect(completed && Number(completed[1]) >= 1, `results count no completed survey: ${r.text.slice(0, 300)}`);
    await shot(S.coordinator, `survey-results-${lang}.png`);
  });
}

// ---- run ----
const failures = [];
let passed = 0;
let browser;
const t0 = Date.now();
try {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  async function newPage(who, options) {
    const context = await browser.newContext(options);
    context.setDefaultTimeout(STEP_TIMEOUT);
    context.setDefaultNavigationTimeout(NAV_TIMEOUT);
    const page = await context.newPage();
    watchPage(page, who);
    return page;
  }
  S.patient = await newPage('patient', { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  S.admin = await newPage('px admin', { viewport: { width: 1280, height: 900 } });
  S.coordinator = await newPage('coordinator', { viewport: { width: 1280, height: 900 } });
  S.current = S.admin;
  steps.unshift({ name: 'staff log in', fn: async () => { await login(S.admin, PX_ADMIN); await login(S.coordinator, COORDINATOR); } });
  for (const s of steps) {
    const ts = Date.now();
    const before = problems.length;
    let assertion = null;
    try { await s.fn(); } catch (e) { assertion = e instanceof StepError ? e.message : (e && e.stack) || String(e); }
    const msgs = [];
    if (assertion) msgs.push(assertion);
    if (problems.length > before) msgs.push(`browser errors:\n      ${problems.slice(before).join('\n      ')}`);
    if (msgs.length) {
      console.log(`  FAIL ${s.name} (${Date.now() - ts} ms)\n    ${msgs.join('\n    ')}`);
      failures.push(s.name);
      if (assertion) {
        await shot(S.current, 'survey-failure.png').catch(() => {});
        fs.writeFileSync(path.join(ARTIFACTS, 'survey-failure.html'), await S.current.content().catch(() => ''));
        break;
      }
    } else {
      passed += 1;
      console.log(`  ok   ${s.name} (${Date.now() - ts} ms)`);
    }
  }
} catch (e) {
  console.log(`  FAIL launch chromium\n    ${(e && e.stack) || e}`);
  failures.push('launch chromium');
} finally {
  if (browser) await browser.close().catch(() => {});
}
const summary = `${passed}/${steps.length} steps ok, ${failures.length} failed, ${Date.now() - t0} ms`;
if (failures.length) {
  console.log(`survey_flow: FAILED (${summary}): ${failures.join('; ')}`);
  process.exit(1);
}
console.log(`survey_flow: ok (${summary})`);
