// Headless Chromium scenario for PX360 complaints (issue 5, "Done when"): a patient files a
// complaint on the public form from a phone, the PX coordinator takes it, asks a staff member
// for an explanation, adds a public note and resolves it, the hospital admin closes it and
// opens a PX Action from it, the action goes in progress -> pending approval (evidence PDF,
// notes) -> approved (by someone other than the assignee) -> closed; the seeded overdue
// complaints are listed; the patient tracks the complaint and sees the closed status and the
// public note but neither staff names nor the phone number.
//
//   node tests/browser/complaint_flow.mjs http://127.0.0.1:PORT
//
// Normally run by tests/browser/run.sh, which starts the demo server (`px360 demo`).
// Env: CHROMIUM_PATH (default /usr/bin/chromium), BROWSER_ARTIFACTS (where screenshots go;
// default a fresh temp dir), BROWSER_STEP_TIMEOUT_MS.
// Exits 0 when every step passed, 1 otherwise. Any console error, page error, failed
// sub-request or Content-Security-Policy violation fails the run.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BASE = (process.argv[2] || '').replace(/\/+$/, '');
if (!/^https?:\/\//.test(BASE)) {
  console.error('usage: node complaint_flow.mjs http://127.0.0.1:PORT');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = process.env.BROWSER_ARTIFACTS || fs.mkdtempSync(path.join(os.tmpdir(), 'px360-browser-artifacts-'));
fs.mkdirSync(ARTIFACTS, { recursive: true });
// See login_rtl_department.mjs: a debug build serves the first static files slowly.
const STEP_TIMEOUT = Number(process.env.BROWSER_STEP_TIMEOUT_MS) || 10_000;
const NAV_TIMEOUT = 2 * STEP_TIMEOUT;

const PASSWORD = 'px360-demo-pass';
const COORDINATOR = { email: 'coordinator@px360.demo', name: 'Sara Al-Ghamdi', nameAr: 'سارة الغامدي' };
const HOSPITAL_ADMIN = { email: 'hospital.admin@px360.demo', name: 'Khalid Al-Otaibi' };
const HOSPITAL_CODE = 'ALH-MAIN';
const PHONE = '0551234567';
const PATIENT_NAME = 'نورة المطيري';
const DESCRIPTION = 'انتظرت في قسم الطوارئ أكثر من أربع ساعات دون أن يخبرني أحد بموعد الكشف، وكان التعامل غير لائق.';
const PUBLIC_NOTE = 'نعتذر عن التأخير';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const REFERENCE_RE = /^CMP-\d{8}-[A-Z0-9]{6}$/;
// The form refuses a submission sooner than 3 s after it was rendered (whole seconds).
const FORM_MIN_WAIT_MS = 3500;

// Arabic labels the checks compare with, read from the locale files so a rewording does not
// break the test.
const ROOT = new URL('../../', import.meta.url);
function ftl(lang, file, key) {
  const text = fs.readFileSync(new URL(`locales/${lang}/${file}`, ROOT), 'utf8');
  const m = text.match(new RegExp(`^${key.replace(/[-]/g, '\\-')}\\s*=\\s*(.+)$`, 'm'));
  return m ? m[1].trim() : null;
}

class StepError extends Error {}
function fail(msg) { throw new StepError(msg); }
function expect(cond, msg) { if (!cond) fail(msg); }

// ---- browser-side problems: console errors, page errors, CSP violations ----
// (the same rules as login_rtl_department.mjs)
const problems = [];
const cspViolations = [];
const consoleNotes = [];

function noteFavicon(detail) {
  const note = `GET /favicon.ico failed (${detail}); the pages declare no icon`;
  if (!consoleNotes.some((n) => n.startsWith('GET /favicon.ico'))) consoleNotes.push(note);
}

function watchPage(page, who) {
  page.on('console', (msg) => {
    const text = msg.text();
    const loc = msg.location();
    const where = loc && loc.url ? ` (${loc.url}${loc.lineNumber != null ? ':' + loc.lineNumber : ''})` : '';
    const isCsp = /Content Security Policy|Content-Security-Policy|\bCSP\b/i.test(text);
    if (isCsp) {
      cspViolations.push(`[${who}] console ${msg.type()}: ${text}${where}`);
    } else if (/^Failed to load resource/.test(text)) {
      if (loc && loc.url && new URL(loc.url).pathname === '/favicon.ico') noteFavicon(text);
    } else if (msg.type() === 'error') {
      problems.push(`[${who}] console error on ${page.url()}: ${text}${where}`);
    } else if (msg.type() === 'warning') {
      consoleNotes.push(`[${who}] console warning on ${page.url()}: ${text}${where}`);
    }
  });
  page.on('pageerror', (err) => {
    problems.push(`[${who}] page error on ${page.url()}: ${err && err.stack ? err.stack : err}`);
  });
  page.on('requestfailed', (req) => {
    const f = req.failure();
    if (f && /ERR_ABORTED/.test(f.errorText) && req.isNavigationRequest()) return;
    problems.push(`[${who}] request failed: ${req.method()} ${req.url()}: ${f ? f.errorText : '?'}`);
  });
  page.on('response', (res) => {
    const req = res.request();
    if (res.status() < 400 || req.isNavigationRequest()) return;
    const url = new URL(res.url());
    if (url.pathname === '/favicon.ico') { noteFavicon(`answered ${res.status()}`); return; }
    problems.push(`[${who}] subresource ${req.method()} ${res.url()} answered ${res.status()} on ${page.url()}`);
  });
}

const CSP_INIT = `
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') +
      ' at ' + (e.sourceFile || document.location.href) + ':' + e.lineNumber + ' [' + (e.sample || '') + ']');
  });
`;

async function collectCsp(page) {
  try {
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
    return html.replace(/\s+/g, ' ').slice(0, 1500);
  } catch (e) {
    return `(no HTML for ${selector || 'page'}: ${String(e.message || e).split('\n')[0]})`;
  }
}

async function docDir(page) {
  return page.evaluate(() => ({ dir: document.documentElement.dir, lang: document.documentElement.lang }));
}

async function expectRtl(page, what) {
  const d = await docDir(page);
  expect(d.dir === 'rtl' && d.lang === 'ar',
    `${what} (${pathOf(page)}): expected html[dir=rtl][lang=ar] for an Arabic user, got dir="${d.dir}" lang="${d.lang}"`);
}

async function goto(page, url, what) {
  const res = await page.goto(`${BASE}${url}`, { waitUntil: 'load', timeout: NAV_TIMEOUT });
  await collectCsp(page);
  expect(res && res.status() === 200,
    `${what}: GET ${url} answered ${res && res.status()} (now at ${pathOf(page)}); HTML: ${await snippet(page, 'main')}`);
  return res;
}

// Clicks the one element `selector` matches and waits for the page it leads to.
async function clickAndNavigate(page, selector, what) {
  const loc = page.locator(selector);
  const n = await loc.count();
  if (n !== 1) fail(`${what}: expected exactly one ${selector} on ${pathOf(page)}, found ${n}`);
  let res = null;
  const [nav] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load', timeout: NAV_TIMEOUT }),
    loc.click({ timeout: STEP_TIMEOUT }),
  ]);
  res = nav;
  await collectCsp(page);
  return res;
}

async function shot(page, name) {
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage: true, timeout: STEP_TIMEOUT });
  console.log(`    screenshot: ${file}`);
}

// Errors a refused work-page form shows, for failure messages.
async function shownErrors(page) {
  const texts = await page.locator('.form-error, .field-error, .invalid-feedback, #flash.alert-danger, .alert-danger')
    .allInnerTexts().catch(() => []);
  return texts.map((t) => t.trim()).filter(Boolean);
}

// After a work-page form: the redirect names `flash=<key>` and shows a success alert.
async function expectFlash(page, key, what) {
  const u = new URL(page.url());
  const flash = u.searchParams.get('flash');
  if (flash !== key) {
    const errs = await shownErrors(page);
    fail(`${what}: expected a redirect with flash=${key}, ended on ${pathOf(page)}` +
      (errs.length ? `; errors shown: ${JSON.stringify(errs)}` : `; HTML: ${await snippet(page, 'main')}`));
  }
  const ok = page.locator('#flash.alert-success');
  expect(await ok.count() === 1, `${what}: flash=${key} but no #flash.alert-success; HTML: ${await snippet(page, '#flash')}`);
}

// The first option of `select` with a non-empty value (or the one whose label matches `label`).
async function pickOption(page, select, what, label) {
  const options = await page.locator(`${select} option`).evaluateAll((os) =>
    os.map((o) => ({ value: o.value, label: o.textContent.trim() })));
  const usable = options.filter((o) => o.value);
  const chosen = label ? usable.find((o) => label.test(o.label)) : usable[0];
  if (!chosen) {
    fail(`${what}: no ${label ? `option matching ${label}` : 'non-empty option'} in ${select}; ` +
      `options: ${JSON.stringify(options.slice(0, 20))}`);
  }
  await page.selectOption(select, chosen.value, { timeout: STEP_TIMEOUT });
  return chosen;
}

// Opens the <details> around a status form (resolve/close/submit…) of the detail pages.
async function openStatusForm(page, to, what) {
  const form = page.locator(`form.status-form[data-to="${to}"]`);
  const n = await form.count();
  if (n !== 1) {
    const offered = await page.locator('form.status-form').evaluateAll((fs) => fs.map((f) => f.dataset.to));
    fail(`${what}: expected one form.status-form[data-to="${to}"] on ${pathOf(page)}, found ${n}; ` +
      `status forms offered: ${JSON.stringify(offered)}; status: "${await statusText(page)}"`);
  }
  const details = page.locator(`details:has(form.status-form[data-to="${to}"])`);
  if (await details.count() === 1 && !(await details.evaluate((d) => d.open))) {
    await details.locator('summary').click({ timeout: STEP_TIMEOUT });
  }
  return `form.status-form[data-to="${to}"]`;
}

async function statusText(page) {
  const b = page.locator('#status-badge');
  return (await b.count()) ? (await b.innerText()).trim() : '(no #status-badge)';
}

async function login(page, who) {
  await goto(page, '/login/', `login page for ${who.email}`);
  await page.fill('#email', who.email);
  await page.fill('#password', PASSWORD);
  await clickAndNavigate(page, '#login', `login as ${who.email}`);
  if (pathOf(page) !== '/') {
    const err = await page.locator('#login-error').count() ? await page.locator('#login-error').innerText() : '';
    fail(`after logging in as ${who.email} expected "/", got "${pathOf(page)}"${err ? ` with #login-error "${err}"` : ''}`);
  }
  await expectRtl(page, `home page of ${who.email}`);
}

// A minimal valid one-page PDF ("Evidence"), with a correct xref table.
function minimalPdf() {
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    null, // content stream, below
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  const stream = 'BT /F1 18 Tf 36 72 Td (PX360 evidence) Tj ET';
  objs[3] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
  let out = '%PDF-1.4\n';
  const offsets = [];
  objs.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

// ---- shared state between steps ----
const S = {
  patient: null, // page, phone viewport, no login
  coordinator: null, // page, desktop, logged in as the PX coordinator
  admin: null, // page, desktop, logged in as the hospital admin
  reference: null,
  complaintId: null,
  actionId: null,
  actionReference: null,
  current: null, // the page of the running step (for failure screenshots)
};

// ---- the scenario ----
const steps = [];
function step(name, fn) { steps.push({ name, fn }); }

step('1. patient (phone, Arabic) files a complaint on the public form', async () => {
  const page = S.current = S.patient;
  await goto(page, `/complaints/public/submit/?hospital=${HOSPITAL_CODE}&lang=ar`, 'public form');
  const loadedAt = Date.now();
  await expectRtl(page, 'public form');
  for (const sel of ['#complaint-form', '#hospital', '#description', '#name', '#phone']) {
    expect(await page.locator(sel).count() === 1, `public form: missing ${sel}; HTML: ${await snippet(page, 'main')}`);
  }
  const hospital = await page.inputValue('#hospital');
  expect(new RegExp(`^${UUID}$`).test(hospital),
    `public form: ?hospital=${HOSPITAL_CODE} should preselect the hospital, #hospital value is "${hospital}"`);

  // Category cascade (domain -> category -> subcategory), loaded by complaint-form.js.
  const cascade = page.locator('#category-cascade');
  let category = '(none)';
  if (await cascade.count() === 1) {
    try {
      await page.locator('#category-level-1 option[value]:not([value=""])').first()
        .waitFor({ state: 'attached', timeout: STEP_TIMEOUT });
    } catch {
      fail(`public form: the category cascade never filled #category-level-1 ` +
        `(status: "${await page.locator('#category-status').innerText().catch(() => '')}"); HTML: ${await snippet(page, '#category-cascade')}`);
    }
    expect(await cascade.isVisible(), 'public form: #category-cascade is filled but hidden (the script fell back?)');
    const chain = [];
    for (let level = 1; level <= 3; level += 1) {
      const sel = `#category-level-${level}`;
      const values = await page.locator(`${sel} option`).evaluateAll((os) =>
        os.filter((o) => o.value).map((o) => ({ value: o.value, label: o.textContent.trim() })));
      expect(values.length > 0, `public form: ${sel} has no choices after picking ${JSON.stringify(chain)}`);
      let picked = null;
      for (const v of values) {
        await page.selectOption(sel, v.value);
        if (level === 3) { picked = v; break; }
        const next = page.locator(`#category-level-${level + 1}`);
        if (await next.isVisible() && await next.locator('option[value]:not([value=""])').count() > 0) { picked = v; break; }
      }
      expect(picked, `public form: no choice of ${sel} has children (level ${level + 1} never appeared)`);
      chain.push(picked.label);
    }
    const hidden = await page.inputValue('#category-value');
    expect(hidden === await page.inputValue('#category-level-3'),
      `public form: #category-value ("${hidden}") should hold the level-3 choice`);
    category = chain.join(' › ');
  } else if (await page.locator('#category option[value]:not([value=""])').count() > 0) {
    category = (await pickOption(page, '#category', 'public form category')).label;
  }
  console.log(`    category: ${category}`);

  await page.fill('#description', DESCRIPTION);
  await page.fill('#name', PATIENT_NAME);
  await page.fill('#phone', PHONE);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width <= 390, `public form on a 390 px phone scrolls sideways: document is ${width} px wide`);
  await shot(page, 'complaint-1-public-form.png');
  const wait = FORM_MIN_WAIT_MS - (Date.now() - loadedAt);
  if (wait > 0) await page.waitForTimeout(wait);
  await clickAndNavigate(page, '#complaint-form button[type="submit"]', 'submit the public form');

  const m = new URL(page.url()).pathname.match(/^\/complaints\/public\/submitted\/([^/]+)\/$/);
  if (!m) {
    const errs = await page.locator('#form-alert, #form-errors, .invalid-feedback').allInnerTexts();
    fail(`after submitting expected /complaints/public/submitted/<reference>/, got ${pathOf(page)}` +
      (errs.length ? `; errors shown: ${JSON.stringify(errs)}` : `; HTML: ${await snippet(page, 'main')}`));
  }
  await expectRtl(page, 'confirmation page');
  const ref = page.locator('#reference');
  expect(await ref.count() === 1, `confirmation page: no #reference; HTML: ${await snippet(page, 'main')}`);
  S.reference = (await ref.innerText()).trim();
  expect(REFERENCE_RE.test(S.reference), `confirmation page: reference "${S.reference}" is not CMP-YYYYMMDD-XXXXXX`);
  expect(decodeURIComponent(m[1]) === S.reference, `confirmation URL names ${m[1]}, page shows ${S.reference}`);
  await shot(page, 'complaint-2-submitted.png');
  console.log(`    reference: ${S.reference}`);
});

step('2. coordinator logs in and finds the complaint (My work, or search)', async () => {
  const page = S.current = S.coordinator;
  await login(page, COORDINATOR);
  await goto(page, '/complaints/my-work/', 'My work');
  await expectRtl(page, 'My work');
  let href = null;
  const item = page.locator(`.work-item[data-reference="${S.reference}"]`);
  if (await item.count() > 0) {
    href = await item.first().locator(`a[href^="/complaints/"]`).first().getAttribute('href');
    const unassigned = await page.locator(`#unassigned ~ ul .work-item[data-reference="${S.reference}"]`).count();
    console.log(`    found in My work${unassigned ? ' (unassigned part)' : ''}`);
    await shot(page, 'complaint-3-my-work.png');
  } else {
    console.log(`    not in My work (${await page.locator('.work-item').count()} items); searching the list`);
  }
  // The list's search finds it too (and is the fallback).
  await goto(page, `/complaints/?search=${encodeURIComponent(S.reference)}`, 'complaint list search');
  const row = page.locator(`tr[data-reference="${S.reference}"] a[href^="/complaints/"]`);
  if (await row.count() !== 1) {
    fail(`/complaints/?search=${S.reference}: expected one row for the new complaint, found ${await row.count()}` +
      ` (${await page.locator('#complaints-table tbody tr').count()} rows); HTML: ${await snippet(page, 'main')}`);
  }
  href = href || await row.getAttribute('href');
  const m = (href || '').match(new RegExp(`^/complaints/(${UUID})/$`));
  expect(m, `complaint link "${href}" is not /complaints/<uuid>/`);
  S.complaintId = m[1];
  console.log(`    complaint: /complaints/${S.complaintId}/`);
});

step('3. coordinator takes the complaint', async () => {
  const page = S.current = S.coordinator;
  await goto(page, `/complaints/${S.complaintId}/`, 'complaint detail');
  await expectRtl(page, 'complaint detail');
  const body = await page.locator('main').innerText();
  expect(body.includes(S.reference), `complaint detail does not show ${S.reference}`);
  expect(body.includes(DESCRIPTION.slice(0, 20)), 'complaint detail does not show the description');
  if (await page.locator('#take-form').count() === 1) {
    await clickAndNavigate(page, '#take-form button[type="submit"]', 'take the complaint');
    await expectFlash(page, 'taken', 'take');
  } else {
    expect(await page.locator('#assign-user').count() === 1,
      `complaint detail: neither #take-form nor #assign-form; HTML: ${await snippet(page, '#assign')}`);
    await pickOption(page, '#assign-user', 'assign to self', new RegExp(COORDINATOR.name));
    await clickAndNavigate(page, '#assign-form button[type="submit"]', 'assign to self');
    await expectFlash(page, 'assigned', 'assign to self');
  }
  const assignee = (await page.locator('#assignee').innerText()).trim();
  expect(assignee.includes(COORDINATOR.name) || assignee.includes(COORDINATOR.nameAr),
    `after taking, #assignee shows "${assignee}", expected ${COORDINATOR.name}`);
  console.log(`    assignee: ${assignee}; status: ${await statusText(page)}`);
});

step('4. coordinator requests an explanation from a staff member', async () => {
  const page = S.current = S.coordinator;
  expect(await page.locator('#explanation-form').count() === 1,
    `complaint detail: no #explanation-form; HTML: ${await snippet(page, '#explanations')}`);
  const staff = await pickOption(page, '#explanation-staff', 'explanation staff');
  await page.fill('#explanation-message', 'يرجى توضيح سبب تأخر الكشف على المريضة في قسم الطوارئ.');
  await clickAndNavigate(page, '#explanation-form button[type="submit"]', 'request an explanation');
  await expectFlash(page, 'explanation_sent', `explanation request to ${staff.label}`);
  const items = page.locator('#explanations li.list-group-item');
  expect(await items.count() >= 1, `after the request #explanations lists no explanation; HTML: ${await snippet(page, '#explanations')}`);
  console.log(`    explanation requested from: ${staff.label}`);
});

step('5. coordinator adds a public note', async () => {
  const page = S.current = S.coordinator;
  expect(await page.locator('#note-form').count() === 1, `complaint detail: no #note-form`);
  await page.fill('#note-message', PUBLIC_NOTE);
  await page.check('#note-public');
  await clickAndNavigate(page, '#note-form button[type="submit"]', 'add a public note');
  await expectFlash(page, 'note_added', 'public note');
  const entry = page.locator('#timeline .timeline-entry', { hasText: PUBLIC_NOTE });
  expect(await entry.count() >= 1, `timeline does not show the note "${PUBLIC_NOTE}"; HTML: ${await snippet(page, '#timeline')}`);
  expect(await entry.first().locator('.public-marker').count() === 1,
    `the note "${PUBLIC_NOTE}" is not marked visible to the patient; HTML: ${await snippet(page, '#timeline')}`);
});

step('6. coordinator resolves the complaint (resolution, category, level-3 category)', async () => {
  const page = S.current = S.coordinator;
  const form = await openStatusForm(page, 'resolved', 'resolve');
  await page.fill('#resolve-resolution', 'تمت مراجعة الحالة مع قسم الطوارئ وتوجيه الفريق بإبلاغ المرضى بمواعيد الكشف المتوقعة.');
  const resolution = await pickOption(page, '#resolve-category', 'resolution category');
  if (await page.locator('#resolve-taxonomy').count() === 1) {
    const cat = await pickOption(page, '#resolve-taxonomy', 'level-3 category');
    console.log(`    category (level 3+): ${cat.label}`);
  } else {
    console.log('    the complaint already has a level-3+ category (no #resolve-taxonomy)');
  }
  await shot(page, 'complaint-4-resolve-form.png');
  await clickAndNavigate(page, `${form} button[type="submit"]`, 'resolve');
  await expectFlash(page, 'status_changed', 'resolve');
  expect(await page.locator('form.status-form[data-to="resolved"]').count() === 0,
    `after resolving, the resolve form is still offered (status "${await statusText(page)}")`);
  console.log(`    resolution: ${resolution.label}; status: ${await statusText(page)}`);
});

step('7. hospital admin closes the complaint', async () => {
  const page = S.current = S.admin;
  await login(page, HOSPITAL_ADMIN);
  await goto(page, `/complaints/${S.complaintId}/`, 'complaint detail (hospital admin)');
  await expectRtl(page, 'complaint detail (hospital admin)');
  const form = await openStatusForm(page, 'closed', 'close');
  if (await page.locator('#close-public').count() === 1) await page.fill('#close-public', 'تم إغلاق الشكوى، شكراً لتواصلكم.');
  await clickAndNavigate(page, `${form} button[type="submit"]`, 'close');
  await expectFlash(page, 'status_changed', 'close');
  expect(await page.locator('form.status-form').count() === 0,
    `a closed complaint still offers status changes: ${JSON.stringify(await page.locator('form.status-form').evaluateAll((f) => f.map((x) => x.dataset.to)))}`);
  const closed = ftl('ar', 'work.ftl', 'work-status-closed');
  const status = await statusText(page);
  if (closed) expect(status === closed, `after closing, #status-badge shows "${status}", expected "${closed}"`);
  await shot(page, 'complaint-5-closed.png');
  console.log(`    status: ${status}`);
});

step('8. hospital admin creates a PX Action from the complaint and assigns it to the coordinator', async () => {
  const page = S.current = S.admin;
  expect(await page.locator('#create-action-form').count() === 1,
    `complaint detail: no #create-action-form; HTML: ${await snippet(page, '#actions')}`);
  await clickAndNavigate(page, '#create-action-form button[type="submit"]', 'create a PX Action');
  const m = new URL(page.url()).pathname.match(new RegExp(`^/actions/(${UUID})/$`));
  if (!m) {
    fail(`after "create action" expected /actions/<uuid>/, got ${pathOf(page)}; errors: ${JSON.stringify(await shownErrors(page))}`);
  }
  S.actionId = m[1];
  await expectFlash(page, 'created', 'create action');
  await expectRtl(page, 'action detail');
  S.actionReference = (await page.locator('#action-header h1').innerText()).trim();
  const source = page.locator('#source-link');
  expect(await source.count() === 1 && (await source.getAttribute('href')) === `/complaints/${S.complaintId}/`,
    `action page: #source-link should lead to /complaints/${S.complaintId}/; HTML: ${await snippet(page, '#source')}`);
  await pickOption(page, '#assign-user', 'assign the action', new RegExp(COORDINATOR.name));
  await clickAndNavigate(page, '#assign-form button[type="submit"]', 'assign the action to the coordinator');
  await expectFlash(page, 'assigned', 'assign action');
  const assignee = (await page.locator('#assignee').innerText()).trim();
  expect(assignee.includes(COORDINATOR.name), `action #assignee shows "${assignee}", expected ${COORDINATOR.name}`);
  console.log(`    action: ${S.actionReference} /actions/${S.actionId}/ (status ${await statusText(page)})`);
});

step('9. coordinator starts the action, uploads an evidence PDF, submits it for approval', async () => {
  const page = S.current = S.coordinator;
  await goto(page, `/actions/${S.actionId}/`, 'action detail (coordinator)');
  const start = page.locator('form.status-form[data-to="in_progress"]');
  if (await start.count() === 1) {
    await clickAndNavigate(page, 'form.status-form[data-to="in_progress"] button[type="submit"]', 'start the action');
    await expectFlash(page, 'status_changed', 'action -> in_progress');
  } else {
    console.log(`    no "start" move offered (status ${await statusText(page)})`);
  }
  const inProgress = ftl('ar', 'work.ftl', 'work-astatus-in_progress');
  if (inProgress) {
    expect(await statusText(page) === inProgress, `action status is "${await statusText(page)}", expected "${inProgress}"`);
  }

  // Evidence, through the attachments panel.
  const pdf = path.join(ARTIFACTS, 'evidence.pdf');
  fs.writeFileSync(pdf, minimalPdf());
  expect(await page.locator('#attachment-form').count() === 1,
    `action page: no #attachment-form; HTML: ${await snippet(page, '#attachments')}`);
  await page.setInputFiles('#attachment-file', pdf);
  if (await page.locator('#attachment-note').count()) await page.fill('#attachment-note', 'محضر اجتماع فريق الطوارئ');
  if (await page.locator('#attachment-evidence').count()) await page.selectOption('#attachment-evidence', 'true');
  await clickAndNavigate(page, '#attachment-form button[type="submit"]', 'upload the evidence');
  expect(new URL(page.url()).pathname === `/actions/${S.actionId}/`, `after the upload expected /actions/${S.actionId}/, got ${pathOf(page)}`);
  if (await page.locator('#attachment-error').count()) {
    fail(`upload refused: "${(await page.locator('#attachment-error').innerText()).trim()}" (${pathOf(page)})`);
  }
  const fileRow = page.locator('#attachments-table tr', { hasText: 'evidence.pdf' });
  expect(await fileRow.count() === 1, `after the upload #attachments-table does not list evidence.pdf; HTML: ${await snippet(page, '#attachments')}`);
  expect(await fileRow.locator('.badge.text-bg-success').count() === 1, `evidence.pdf is not flagged as evidence; HTML: ${await snippet(page, '#attachments-table')}`);

  const form = await openStatusForm(page, 'pending_approval', 'submit for approval');
  await page.fill('#notes-pending_approval', 'تم عقد اجتماع مع فريق الطوارئ وإضافة لوحة أوقات الانتظار في صالة الاستقبال.');
  await clickAndNavigate(page, `${form} button[type="submit"]`, 'submit for approval');
  await expectFlash(page, 'status_changed', 'action -> pending_approval');
  // The assignee may not approve their own work.
  expect(await page.locator('form.status-form[data-to="approved"]').count() === 0,
    'the assignee (coordinator) is offered "approve" on their own action');
  await shot(page, 'complaint-6-action-pending.png');
  console.log(`    status: ${await statusText(page)}`);
});

step('10. hospital admin approves and closes the action', async () => {
  const page = S.current = S.admin;
  await goto(page, `/actions/${S.actionId}/`, 'action detail (hospital admin)');
  const pending = ftl('ar', 'work.ftl', 'work-astatus-pending_approval');
  if (pending) expect(await statusText(page) === pending, `action status is "${await statusText(page)}", expected "${pending}"`);
  await openStatusForm(page, 'approved', 'approve');
  await clickAndNavigate(page, 'form.status-form[data-to="approved"] button[type="submit"]', 'approve');
  await expectFlash(page, 'status_changed', 'action -> approved');
  const approved = (await page.locator('#action-header').innerText());
  expect(approved.includes(HOSPITAL_ADMIN.name), `approved action should name the approver ${HOSPITAL_ADMIN.name}; header: ${approved.replace(/\s+/g, ' ')}`);

  const form = await openStatusForm(page, 'closed', 'close the action');
  const notes = '#notes-closed';
  if (!(await page.inputValue(notes)).trim()) await page.fill(notes, 'تم التحقق من التنفيذ وإغلاق الإجراء.');
  await clickAndNavigate(page, `${form} button[type="submit"]`, 'close the action');
  await expectFlash(page, 'status_changed', 'action -> closed');
  expect(await page.locator('form.status-form').count() === 0, 'a closed action still offers status changes');
  const closed = ftl('ar', 'work.ftl', 'work-astatus-closed');
  if (closed) expect(await statusText(page) === closed, `action status is "${await statusText(page)}", expected "${closed}"`);
  await shot(page, 'complaint-7-action-closed.png');
  console.log(`    status: ${await statusText(page)}`);
});

step('11. hospital admin: /complaints/?overdue=true lists the seeded overdue complaints', async () => {
  const page = S.current = S.admin;
  await goto(page, '/complaints/?overdue=true', 'overdue list');
  const rows = page.locator('#complaints-table tbody tr');
  const n = await rows.count();
  expect(n >= 1, `/complaints/?overdue=true lists no complaint (the demo seeds overdue ones); HTML: ${await snippet(page, 'main')}`);
  const marked = await page.locator('#complaints-table .overdue-marker').count();
  expect(marked === n, `/complaints/?overdue=true: ${n} rows but ${marked} carry the overdue marker`);
  // The escalation level is the last column (a red badge when > 0).
  const escalated = await page.locator('#complaints-table tbody td:last-child .badge.text-bg-danger').count();
  console.log(`    ${n} overdue rows on the first page (count badge: ${(await page.locator('#result-count').innerText()).trim()}), ${escalated} escalated`);
  await shot(page, 'complaint-8-overdue.png');
});

step('12. patient tracks the complaint: closed, public note, no staff name, no phone', async () => {
  const page = S.current = S.patient;
  await goto(page, `/complaints/public/track/?reference=${encodeURIComponent(S.reference)}&lang=ar`, 'tracking page');
  await expectRtl(page, 'tracking page');
  expect(await page.locator('#tracked').count() === 1,
    `tracking ${S.reference}: no #tracked card${await page.locator('#not-found').count() ? ' (#not-found shown)' : ''}; HTML: ${await snippet(page, 'main')}`);
  const status = (await page.locator('#status').innerText()).trim();
  const closed = ftl('ar', 'public.ftl', 'pub-status-closed');
  expect(closed && status === closed, `tracking: #status shows "${status}", expected "${closed}"`);
  const timeline = await page.locator('#timeline').innerText();
  expect(timeline.includes(PUBLIC_NOTE), `tracking: the timeline does not show the public note "${PUBLIC_NOTE}": ${timeline.replace(/\s+/g, ' ')}`);
  const html = await page.content();
  const text = await page.locator('body').innerText();
  const digits = PHONE.replace(/^0/, '');
  for (const secret of [COORDINATOR.name, 'Sara', 'Al-Ghamdi', 'سارة', 'الغامدي', HOSPITAL_ADMIN.name, COORDINATOR.email]) {
    expect(!text.includes(secret) && !html.includes(secret), `tracking page shows a staff name/e-mail: "${secret}"`);
  }
  for (const secret of [PHONE, digits, `966${digits}`]) {
    expect(!html.includes(secret), `tracking page contains the phone number ("${secret}")`);
  }
  expect(!text.includes(PATIENT_NAME), `tracking page shows the complainant's name "${PATIENT_NAME}"`);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width <= 390, `tracking page on a 390 px phone scrolls sideways: document is ${width} px wide`);
  await shot(page, 'complaint-9-track.png');
  console.log(`    status: ${status}; timeline entries: ${await page.locator('#timeline li').count()}`);
});

// ---- runner (as in login_rtl_department.mjs) ----
const t0 = Date.now();
let browser;
const failures = [];
let stopped = 0;
let passed = 0;

async function failureArtifacts(page) {
  if (!page) return;
  try {
    const file = path.join(ARTIFACTS, 'complaint-failure.png');
    await page.screenshot({ path: file, fullPage: true, timeout: 5000 });
    fs.writeFileSync(path.join(ARTIFACTS, 'complaint-failure.html'), await page.content());
    console.log(`    failure screenshot: ${file} (page ${page.url()})`);
  } catch { /* best effort */ }
}

try {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  console.log(`complaint_flow: chromium ${browser.version()}, ${BASE}`);
  async function newPage(who, options) {
    const context = await browser.newContext(options);
    context.setDefaultTimeout(STEP_TIMEOUT);
    context.setDefaultNavigationTimeout(NAV_TIMEOUT);
    await context.addInitScript(CSP_INIT);
    const page = await context.newPage();
    watchPage(page, who);
    return page;
  }
  // One browser context per person: separate cookies, so all three stay logged in.
  S.patient = await newPage('patient', {
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'ar-SA',
  });
  S.coordinator = await newPage('coordinator', { viewport: { width: 1280, height: 900 } });
  S.admin = await newPage('hospital admin', { viewport: { width: 1280, height: 900 } });

  for (const s of steps) {
    const ts = Date.now();
    const cspBefore = cspViolations.length;
    const problemsBefore = problems.length;
    let assertion = null;
    try {
      await s.fn();
    } catch (e) {
      assertion = e instanceof StepError ? e.message : (e && e.stack) || String(e);
    }
    for (const p of [S.patient, S.coordinator, S.admin]) await collectCsp(p);
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
        await failureArtifacts(S.current);
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
  console.log(`complaint_flow: FAILED (${summary}): ${failures.map((f) => f.step).join('; ')}`);
  process.exit(1);
}
console.log(`complaint_flow: ok (${summary})`);
