// Headless Chromium scenario for PX360: login, Arabic RTL / English switch,
// department form validation and creation, logout.
//
//   node tests/browser/login_rtl_department.mjs http://127.0.0.1:PORT
//
// Normally run by tests/browser/run.sh, which starts the demo server.
// Env: CHROMIUM_PATH (default /usr/bin/chromium), BROWSER_ARTIFACTS (where
// screenshots go; default a fresh temp dir).
// Exits 0 when every step passed, 1 otherwise. Any console error, page error
// or Content-Security-Policy violation fails the run.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BASE = (process.argv[2] || '').replace(/\/+$/, '');
if (!/^https?:\/\//.test(BASE)) {
  console.error('usage: node login_rtl_department.mjs http://127.0.0.1:PORT');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = process.env.BROWSER_ARTIFACTS || fs.mkdtempSync(path.join(os.tmpdir(), 'px360-browser-artifacts-'));
fs.mkdirSync(ARTIFACTS, { recursive: true });
// ~10 s per action; page loads get twice that: a debug build (what CI runs)
// compresses each static file with brotli at -O0, ~2.5 s for Chart.js alone,
// and the first page after login loads all of them.
const STEP_TIMEOUT = Number(process.env.BROWSER_STEP_TIMEOUT_MS) || 10_000;
const NAV_TIMEOUT = 2 * STEP_TIMEOUT;

const EMAIL = 'hospital.admin@px360.demo';
const PASSWORD = 'px360-demo-pass';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

class StepError extends Error {}
function fail(msg) { throw new StepError(msg); }
function expect(cond, msg) { if (!cond) fail(msg); }

// ---- browser-side problems: console errors, page errors, CSP violations ----
const problems = []; // { kind, text, url }
const cspViolations = [];
const consoleNotes = []; // warnings, for the report only

// Chromium asks for /favicon.ico by itself and the pages declare no icon:
// reported as a note, not a failure.
function noteFavicon(detail) {
  const note = `GET /favicon.ico failed (${detail}); the pages declare no icon`;
  if (!consoleNotes.some((n) => n.startsWith('GET /favicon.ico'))) consoleNotes.push(note);
}

function watchPage(page) {
  page.on('console', (msg) => {
    const text = msg.text();
    const loc = msg.location();
    const where = loc && loc.url ? ` (${loc.url}${loc.lineNumber != null ? ':' + loc.lineNumber : ''})` : '';
    const isCsp = /Content Security Policy|Content-Security-Policy|\bCSP\b/i.test(text);
    if (isCsp) {
      cspViolations.push(`console ${msg.type()}: ${text}${where}`);
    } else if (/^Failed to load resource/.test(text)) {
      // Chromium logs every HTTP error response, including a form re-rendered
      // with 400 on purpose; responses are judged by the 'response' handler below.
      if (loc && loc.url && new URL(loc.url).pathname === '/favicon.ico') noteFavicon(text);
    } else if (msg.type() === 'error') {
      problems.push(`console error on ${page.url()}: ${text}${where}`);
    } else if (msg.type() === 'warning') {
      consoleNotes.push(`console warning on ${page.url()}: ${text}${where}`);
    }
  });
  page.on('pageerror', (err) => {
    problems.push(`page error on ${page.url()}: ${err && err.stack ? err.stack : err}`);
  });
  page.on('requestfailed', (req) => {
    const f = req.failure();
    // Navigations replaced by another navigation are aborted; that is normal.
    if (f && /ERR_ABORTED/.test(f.errorText) && req.isNavigationRequest()) return;
    problems.push(`request failed: ${req.method()} ${req.url()}: ${f ? f.errorText : '?'}`);
  });
  page.on('response', (res) => {
    const req = res.request();
    if (res.status() < 400 || req.isNavigationRequest()) return; // pages: checked by the steps
    const url = new URL(res.url());
    if (url.pathname === '/favicon.ico') { noteFavicon(`answered ${res.status()}`); return; }
    problems.push(`subresource ${req.method()} ${res.url()} answered ${res.status()} on ${page.url()}`);
  });
}

// Reports CSP violations seen by the page itself (securitypolicyviolation event),
// collected into window.__cspViolations by an init script.
const CSP_INIT = `
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') +
      ' at ' + (e.sourceFile || document.location.href) + ':' + e.lineNumber + ' [' + (e.sample || '') + ']');
  });
`;

async function collectCsp(page) {
  try {
    // Take and clear, so each violation is counted once per document.
    const v = await page.evaluate(() => (window.__cspViolations || []).splice(0));
    for (const x of v) cspViolations.push(`securitypolicyviolation on ${page.url()}: ${x}`);
  } catch { /* page navigating; the next collect will see it */ }
}

function pathOf(page) {
  const u = new URL(page.url());
  return u.pathname + u.search;
}

async function snippet(page, selector) {
  try {
    const html = selector
      ? await page.locator(selector).first().evaluate((el) => el.outerHTML, null, { timeout: 1000 })
      : await page.content();
    return html.replace(/\s+/g, ' ').slice(0, 1200);
  } catch (e) {
    return `(no HTML for ${selector || 'page'}: ${String(e.message || e).split('\n')[0]})`;
  }
}

async function docDir(page) {
  return page.evaluate(() => ({ dir: document.documentElement.dir, lang: document.documentElement.lang }));
}

async function clickAndNavigate(page, selector, what) {
  const loc = page.locator(selector);
  if ((await loc.count()) !== 1) {
    fail(`${what}: expected exactly one ${selector} on ${page.url()}, found ${await loc.count()}`);
  }
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load', timeout: NAV_TIMEOUT }),
    loc.click({ timeout: STEP_TIMEOUT }),
  ]);
  await collectCsp(page);
}

// ---- the scenario ----
const steps = [];
function step(name, fn) { steps.push({ name, fn }); }

step('a. login (Arabic default) lands on the home page', async (page) => {
  const res = await page.goto(`${BASE}/login/`, { waitUntil: 'load', timeout: NAV_TIMEOUT });
  expect(res && res.status() === 200, `GET /login/ answered ${res && res.status()}`);
  await collectCsp(page);
  const d = await docDir(page);
  expect(d.dir === 'rtl', `/login/: expected html[dir=rtl] (demo default language is Arabic), got dir="${d.dir}" lang="${d.lang}"`);
  expect(d.lang === 'ar', `/login/: expected html[lang=ar], got lang="${d.lang}"`);
  await page.fill('#email', EMAIL, { timeout: STEP_TIMEOUT });
  await page.fill('#password', PASSWORD, { timeout: STEP_TIMEOUT });
  await clickAndNavigate(page, '#login', 'login');
  const p = pathOf(page);
  if (p !== '/') {
    const err = await page.locator('#login-error').count() ? await page.locator('#login-error').innerText() : '';
    fail(`after login expected to be on "/", got "${p}"${err ? ` with #login-error "${err}"` : ''}; HTML: ${await snippet(page, 'main')}`);
  }
  expect(await page.locator('#login').count() === 0, 'after login the page still shows the login form');
  expect(await page.locator('nav.navbar .dropdown-toggle').count() === 1,
    `home page: no user dropdown (nav.navbar .dropdown-toggle); HTML: ${await snippet(page, 'body')}`);
  expect(await page.locator('#language-switch').count() === 1, 'home page: no #language-switch button');
});

step('b. language switch Arabic -> English -> Arabic (RTL), screenshot', async (page) => {
  let d = await docDir(page);
  if (d.dir === 'rtl') {
    await clickAndNavigate(page, '#language-switch', 'switch to English');
    d = await docDir(page);
    expect(d.dir === 'ltr', `after switching to English expected dir="ltr", got dir="${d.dir}" on ${page.url()}`);
    expect(d.lang === 'en', `after switching to English expected lang="en", got lang="${d.lang}" on ${page.url()}`);
    expect(pathOf(page) === '/', `language switch should return to "/", got "${pathOf(page)}"`);
    const css = await page.locator('link[href*="bootstrap"][href$=".css"]').first().getAttribute('href');
    expect(css && !css.includes('.rtl.'), `English page should load the LTR Bootstrap CSS, got ${css}`);
  }
  await clickAndNavigate(page, '#language-switch', 'switch to Arabic');
  d = await docDir(page);
  expect(d.dir === 'rtl', `after switching to Arabic expected dir="rtl", got dir="${d.dir}" on ${page.url()}`);
  expect(d.lang === 'ar', `after switching to Arabic expected lang="ar", got lang="${d.lang}" on ${page.url()}`);
  expect(pathOf(page) === '/', `language switch should return to "/", got "${pathOf(page)}"`);
  const css = await page.locator('link[href*="bootstrap"][href$=".css"]').first().getAttribute('href');
  expect(css && css.includes('.rtl.'), `Arabic page should load the RTL Bootstrap CSS, got ${css}`);
  const computed = await page.evaluate(() => getComputedStyle(document.body).direction);
  expect(computed === 'rtl', `Arabic page: computed body direction is "${computed}", expected "rtl"`);
  // Let Chart.js finish its opening animation so the picture shows the charts.
  await page.waitForTimeout(1200);
  const shot = path.join(ARTIFACTS, 'home-ar.png');
  await page.screenshot({ path: shot, fullPage: true, timeout: STEP_TIMEOUT });
  console.log(`    screenshot: ${shot}`);
});

step('c. department form rejects an invalid code with a field error', async (page) => {
  const res = await page.goto(`${BASE}/organizations/departments/new/`, { waitUntil: 'load', timeout: NAV_TIMEOUT });
  expect(res && res.status() === 200, `GET /organizations/departments/new/ answered ${res && res.status()} (now at ${page.url()})`);
  await collectCsp(page);
  for (const sel of ['#f-code', '#f-name_en', '#save']) {
    expect(await page.locator(sel).count() === 1, `department form: missing ${sel}; HTML: ${await snippet(page, 'form')}`);
  }
  await page.fill('#f-code', 'BAD CODE!', { timeout: STEP_TIMEOUT });
  await page.fill('#f-name_en', 'Quality Unit', { timeout: STEP_TIMEOUT });
  await clickAndNavigate(page, '#save', 'save invalid department');
  const err = page.locator('#error-code');
  if ((await err.count()) !== 1) {
    fail(`after saving code "BAD CODE!" expected a field error #error-code on ${page.url()}; ` +
      `#f-code: ${await snippet(page, '#f-code')}; form: ${await snippet(page, 'form')}`);
  }
  expect(await err.isVisible(), `#error-code exists but is not visible: ${await snippet(page, '#error-code')}`);
  const errClass = (await err.getAttribute('class')) || '';
  expect(errClass.split(/\s+/).includes('invalid-feedback'), `#error-code should have class invalid-feedback, has "${errClass}"`);
  const codeClass = (await page.locator('#f-code').getAttribute('class')) || '';
  expect(codeClass.split(/\s+/).includes('is-invalid'), `#f-code should have class is-invalid, has "${codeClass}"`);
  const kept = await page.inputValue('#f-name_en');
  expect(kept === 'Quality Unit', `#f-name_en should keep the entered value "Quality Unit", has "${kept}"`);
  expect(new URL(page.url()).pathname.startsWith('/organizations/departments/'),
    `invalid form should stay on the departments form, got ${page.url()}`);
  console.log(`    field error: "${(await err.innerText()).trim()}"`);
});

step('d. fixed department saves and shows its detail page', async (page) => {
  await page.fill('#f-code', 'QUA-009', { timeout: STEP_TIMEOUT });
  expect(await page.locator('#f-name_ar').count() === 1, `department form: missing #f-name_ar; HTML: ${await snippet(page, 'form')}`);
  await page.fill('#f-name_ar', 'وحدة الجودة', { timeout: STEP_TIMEOUT });
  await clickAndNavigate(page, '#save', 'save fixed department');
  const p = new URL(page.url()).pathname;
  if (!new RegExp(`^/organizations/departments/${UUID}/$`).test(p)) {
    const errs = await page.locator('.invalid-feedback, #form-error').allInnerTexts();
    fail(`after saving QUA-009 expected /organizations/departments/<uuid>/, got "${pathOf(page)}"` +
      (errs.length ? `; errors shown: ${JSON.stringify(errs)}` : '') + `; HTML: ${await snippet(page, 'main')}`);
  }
  const body = await page.locator('body').innerText();
  expect(body.includes('QUA-009'), `department page ${p} does not show "QUA-009"; HTML: ${await snippet(page, 'main')}`);
  console.log(`    created: ${p}`);
});

step('e. logout via the user dropdown; / then redirects to /login/?next=', async (page) => {
  const toggle = page.locator('nav.navbar .dropdown-toggle');
  expect(await toggle.count() === 1, `expected one nav.navbar .dropdown-toggle, found ${await toggle.count()}`);
  await toggle.click({ timeout: STEP_TIMEOUT });
  const logout = page.locator('#logout');
  try {
    await logout.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  } catch {
    fail(`user dropdown did not open: #logout not visible after clicking .dropdown-toggle ` +
      `(Bootstrap JS loaded: ${await page.evaluate(() => typeof window.bootstrap !== 'undefined')}); ` +
      `HTML: ${await snippet(page, 'nav.navbar .dropdown')}`);
  }
  await clickAndNavigate(page, '#logout', 'logout');
  expect(new URL(page.url()).pathname === '/login/', `after logout expected /login/, got "${pathOf(page)}"`);
  expect(await page.locator('#login').count() === 1, 'after logout the login form is not shown');
  const res = await page.goto(`${BASE}/`, { waitUntil: 'load', timeout: NAV_TIMEOUT });
  await collectCsp(page);
  const u = new URL(page.url());
  expect(u.pathname === '/login/', `after logout GET / should redirect to /login/, ended on "${pathOf(page)}" (status ${res && res.status()})`);
  expect(u.searchParams.has('next'), `after logout GET / should redirect to /login/?next=..., got "${pathOf(page)}"`);
  expect(u.searchParams.get('next') === '/', `redirect should carry next=/, got next="${u.searchParams.get('next')}"`);
  console.log(`    redirected to: ${pathOf(page)}`);
});

// ---- runner ----
// A step fails when one of its assertions fails (the scenario stops there:
// later steps depend on it) or when the browser reported a CSP violation,
// a console error, a page error or a failed request while it ran (the step is
// marked FAIL, the scenario goes on so the report is complete, and the run fails).
const t0 = Date.now();
let browser;
const failures = []; // { step, message }
let stopped = false;
let passed = 0;

async function failureArtifacts(page) {
  try {
    const shot = path.join(ARTIFACTS, 'failure.png');
    await page.screenshot({ path: shot, fullPage: true, timeout: 5000 });
    fs.writeFileSync(path.join(ARTIFACTS, 'failure.html'), await page.content());
    console.log(`    failure screenshot: ${shot} (page ${page.url()})`);
  } catch { /* best effort */ }
}

try {
  // playwright-core gives chromium.launch a fresh temporary profile of its own
  // (it refuses a --user-data-dir argument) and removes it on close.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const pwVersion = JSON.parse(fs.readFileSync(new URL('./node_modules/playwright-core/package.json', import.meta.url))).version;
  console.log(`chromium ${browser.version()}, playwright-core ${pwVersion}, node ${process.version}`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(STEP_TIMEOUT);
  context.setDefaultNavigationTimeout(NAV_TIMEOUT);
  await context.addInitScript(CSP_INIT);
  const page = await context.newPage();
  watchPage(page);

  for (const s of steps) {
    const ts = Date.now();
    const cspBefore = cspViolations.length;
    const problemsBefore = problems.length;
    let assertion = null;
    try {
      await s.fn(page);
    } catch (e) {
      assertion = e instanceof StepError ? e.message : (e && e.stack) || String(e);
    }
    await collectCsp(page);
    const msgs = [];
    if (assertion) msgs.push(assertion);
    const csp = cspViolations.slice(cspBefore);
    if (csp.length) msgs.push(`Content-Security-Policy violation(s):\n      ${csp.join('\n      ')}`);
    const other = problems.slice(problemsBefore);
    if (other.length) msgs.push(`browser errors:\n      ${other.join('\n      ')}`);
    if (msgs.length) {
      console.log(`  FAIL ${s.name} (${Date.now() - ts} ms)\n    ${msgs.join('\n    ')}`);
      failures.push({ step: s.name, message: msgs.join('\n') });
      if (assertion) {
        await failureArtifacts(page);
        stopped = steps.length - steps.indexOf(s) - 1;
        break;
      }
    } else {
      passed += 1;
      console.log(`  ok   ${s.name} (${Date.now() - ts} ms)`);
    }
  }
} catch (e) {
  console.log(`  FAIL launch chromium\n    ${(e && e.stack) || e}`);
  failures.push({ step: 'launch chromium', message: String(e) });
} finally {
  if (browser) await browser.close().catch(() => {});
}

for (const n of consoleNotes) console.log(`  note: ${n}`);
if (stopped) console.log(`  (${stopped} later step(s) not run)`);
const summary = `${passed}/${steps.length} steps ok, ${failures.length} failed, ${Date.now() - t0} ms`;
if (failures.length) {
  console.log(`login_rtl_department: FAILED (${summary}): ${failures.map((f) => f.step).join('; ')}`);
  process.exit(1);
}
console.log(`login_rtl_department: ok (${summary})`);
