// Headless Chromium scenario for PX360's command center (issue 7, "Done when"), for a hospital
// admin, a PX admin and a department manager, in Arabic and in English: the command center of the
// demo's data draws its charts (canvas present and a Chart.js chart on each), its cards hold
// figures, the axes run right-to-left in Arabic, a card opens the list behind it, the department
// manager sees only their department, the KPI report and the physician leaderboard load, and the
// PDF and Excel exports download. Any console error, page error, failed sub-request or CSP
// violation fails the run.
//
//   node tests/browser/command_center.mjs http://127.0.0.1:PORT
//
// Normally run by tests/browser/run.sh, which starts the demo server (`px360 demo`).
// Env: CHROMIUM_PATH, BROWSER_ARTIFACTS, BROWSER_STEP_TIMEOUT_MS (as the other scenarios).

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BASE = (process.argv[2] || '').replace(/\/+$/, '');
if (!/^https?:\/\//.test(BASE)) {
  console.error('usage: node command_center.mjs http://127.0.0.1:PORT');
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
const MANAGER = 'manager@px360.demo';

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

// The command center as drawn: direction, cards, charts (canvas with a Chart.js chart on it).
async function inspect(page) {
  return page.evaluate(() => {
    const canvases = [...document.querySelectorAll('canvas[data-chart]')];
    const drawn = canvases.filter((c) => window.Chart && window.Chart.getChart(c));
    const reversed = drawn.some((c) => {
      const chart = window.Chart.getChart(c);
      return chart.options.scales && chart.options.scales.x && chart.options.scales.x.reverse === true;
    });
    const card = (key) => {
      const el = document.querySelector(`[data-card="${key}"] [data-value]`);
      return el ? el.textContent.trim() : null;
    };
    return {
      dir: document.documentElement.dir,
      lang: document.documentElement.lang,
      canvases: canvases.length,
      drawn: drawn.length,
      reversed,
      complaints: card('complaints_total'),
      average: card('average_score'),
      departments: document.querySelectorAll('#cc-department option').length - 1,
      wide: document.documentElement.scrollWidth,
    };
  });
}

async function switchLanguage(page, lang) {
  const now = await page.evaluate(() => document.documentElement.lang);
  if (now === lang) return;
  // On a phone the switch sits in the collapsed menu: open it first.
  if (!(await page.locator('#language-switch').isVisible())) await page.click('.navbar-toggler');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load', timeout: NAV_TIMEOUT }), page.click('#language-switch')]);
  const after = await page.evaluate(() => document.documentElement.lang);
  expect(after === lang, `the language switch went to ${after}, not ${lang}`);
}

const steps = [];
const S = {};
function step(name, fn) { steps.push({ name, fn }); }

for (const [who, email] of [['hospital admin', HOSPITAL_ADMIN], ['px admin', PX_ADMIN], ['department manager', MANAGER]]) {
  for (const lang of ['ar', 'en']) {
    step(`${who}, ${lang}: the command center draws the demo's figures`, async () => {
      S.current = S[who];
      await goto(S[who], '/analytics/command-center/?period=90d', `${who}'s command center`);
      await switchLanguage(S[who], lang);
      await S[who].waitForFunction(() => document.querySelectorAll('canvas[data-chart]').length > 0 && window.Chart, null, { timeout: STEP_TIMEOUT });
      const d = await inspect(S[who]);
      expect(d.dir === (lang === 'ar' ? 'rtl' : 'ltr'), `${who}: dir=${d.dir} in ${lang}`);
      expect(d.canvases >= 5 && d.drawn === d.canvases, `${who}: ${d.drawn} of ${d.canvases} charts drawn`);
      expect(d.complaints && /^[0-9]+$/.test(d.complaints) && Number(d.complaints) > 0, `${who}: complaints card shows "${d.complaints}"`);
      expect(d.average && /^[0-9.]+$/.test(d.average), `${who}: average score card shows "${d.average}"`);
      if (lang === 'ar') expect(d.reversed, `${who}: the charts' category axis does not run right-to-left in Arabic`);
      if (who === 'department manager') expect(d.departments === 1, `the department manager can choose ${d.departments} departments`);
      else expect(d.departments > 1, `${who} can choose only ${d.departments} departments`);
      await shot(S[who], `command-center-${who.replace(/ /g, '-')}-${lang}.png`);
      S[`${who}-${lang}`] = d;
    });
  }
}

step('the department manager sees fewer complaints than the hospital admin', async () => {
  const mine = Number(S['department manager-en'].complaints);
  const all = Number(S['hospital admin-en'].complaints);
  expect(mine < all, `department manager ${mine} vs hospital admin ${all}`);
});

step('a card opens the list behind its figure', async () => {
  const page = S['hospital admin'];
  S.current = page;
  await goto(page, '/analytics/command-center/?period=90d', 'the command center');
  const shown = Number(await page.locator('[data-card="complaints_total"] [data-value]').innerText());
  await Promise.all([page.waitForNavigation({ waitUntil: 'load', timeout: NAV_TIMEOUT }), page.click('[data-card="complaints_total"] a')]);
  expect(new URL(page.url()).pathname === '/complaints/', `the card went to ${page.url()}`);
  const rows = await page.locator('main table tbody tr').count();
  expect(shown > 0 && rows > 0, `the list behind ${shown} complaints shows ${rows} rows`);
});

step('the KPI report and the physician leaderboard load with their charts', async () => {
  const page = S['hospital admin'];
  S.current = page;
  await goto(page, '/analytics/kpis/', 'KPIs');
  expect(await page.locator('#kpi-table tbody tr').count() >= 8, 'the KPI table lists fewer than 8 KPIs');
  await goto(page, '/analytics/kpis/NPS/', 'the NPS report');
  await goto(page, '/physicians/', 'the physician leaderboard');
  expect(await page.locator('#phys-table tbody tr, #phys-empty').count() >= 1, 'the leaderboard shows nothing');
  await shot(page, 'physicians.png');
});

step('the PDF and Excel exports download', async () => {
  const page = S['hospital admin'];
  for (const [href, type] of [['/analytics/command-center/export.pdf?period=90d', 'application/pdf'],
    ['/analytics/command-center/export.xlsx?period=90d', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']]) {
    const r = await page.request.get(`${BASE}${href}`);
    expect(r.status() === 200, `${href}: ${r.status()}`);
    expect((r.headers()['content-type'] || '').startsWith(type), `${href}: ${r.headers()['content-type']}`);
    const body = await r.body();
    expect(body.length > 1000, `${href}: only ${body.length} bytes`);
  }
});

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
  S['hospital admin'] = await newPage('hospital admin', { viewport: { width: 1280, height: 900 } });
  S['px admin'] = await newPage('px admin', { viewport: { width: 1280, height: 900 } });
  // The manager looks on a phone.
  S['department manager'] = await newPage('department manager', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  S.current = S['hospital admin'];
  steps.unshift({ name: 'staff log in', fn: async () => {
    await login(S['hospital admin'], HOSPITAL_ADMIN);
    await login(S['px admin'], PX_ADMIN);
    await login(S['department manager'], MANAGER);
  } });
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
        await shot(S.current, 'command-center-failure.png').catch(() => {});
        fs.writeFileSync(path.join(ARTIFACTS, 'command-center-failure.html'), await S.current.content().catch(() => ''));
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
  console.log(`command_center: FAILED (${summary}): ${failures.join('; ')}`);
  process.exit(1);
}
console.log(`command_center: ok (${summary})`);
