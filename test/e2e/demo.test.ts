import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/harness.js';
import { startUp, type UpProcess } from '../support/up-process.js';

const artifacts = fileURLToPath(new URL('../../.artifacts/e2e/', import.meta.url));
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The whole system as `npm run up` starts it (the services, demo brand, demo bot, demo page), on
 * the test run's Kafka and store, driven from Debian's Chromium by playwright-core. The bot has no
 * Kafka access: its replies come through the bot event stream (GET /v1/bot/events).
 */
describe('the demo, end to end in a real browser', () => {
  let up: UpProcess | undefined;
  let browser: Browser;
  let web: string;
  let crm: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) {
      throw new Error(
        `no Chromium at ${chromiumPath}: install Debian's chromium package (.ci/run does) or set CHROMIUM_PATH`,
      );
    }
    mkdirSync(artifacts, { recursive: true });
    up = await startUp('e2e', { LOG_LEVEL: 'warn' });
    web = `http://127.0.0.1:${8088 + up.offset}`;
    crm = `http://127.0.0.1:${4000 + up.offset}/crm`;
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    if (up?.isRunning()) {
      await Promise.race([up.interrupt(), new Promise((resolve) => setTimeout(resolve, 40_000))]);
      if (up.isRunning()) up.kill();
    }
  }, 60_000);

  /** A new device: a browser context of its own (no cookies, no storage shared with the others). */
  async function device(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    return page;
  }

  async function signIn(page: Page, login: string) {
    await page.goto(web);
    await page.click('#sign-in');
    await page.waitForSelector('input[name=login]');
    await page.fill('input[name=login]', login);
    await page.fill('input[name=password]', 'demo');
    await page.click('button[type=submit]');
    await page.waitForSelector('#chat:not([hidden])', { timeout: 30_000 });
    await page.waitForSelector('#status[data-status=live]', { timeout: 30_000 });
  }

  async function send(page: Page, text: string) {
    await page.fill('#text', text);
    await page.click('#send');
  }

  const texts = (page: Page) =>
    page.$$eval('.message .text', (items) => items.map((item) => item.textContent));
  const seqs = (page: Page) =>
    page.$$eval('.message', (items) => items.map((item) => Number(item.getAttribute('data-seq'))));
  const messageWith = (page: Page, kind: string, text: string) =>
    page
      .locator(`.message[data-author-kind=${kind}]`)
      .filter({ hasText: text })
      .first()
      .waitFor({ timeout: 45_000 });

  let laptop: Page;
  let phone: Page;

  it('signs in through the brand’s login page, sends, and gets the bot’s reply using a custom field', async () => {
    laptop = await device();
    await signIn(laptop, 'ada');
    await send(laptop, 'Hello, where is my order?');
    await messageWith(laptop, 'customer', 'Hello, where is my order?');
    await messageWith(laptop, 'bot', 'gold member');
    // The customer panel shows the data the brand gave with this message.
    await laptop.locator('#customer [data-field=tier]').filter({ hasText: 'gold' }).waitFor();
    await laptop.screenshot({ path: `${artifacts}/chat.png`, fullPage: true });
  });

  it('shows the same history on a second device, which then receives a live message', async () => {
    phone = await device();
    await signIn(phone, 'ada');
    await messageWith(phone, 'bot', 'gold member');
    expect(await texts(phone)).toEqual(await texts(laptop));
    await send(laptop, 'Sent from the laptop');
    await messageWith(phone, 'customer', 'Sent from the laptop');
    await phone.screenshot({ path: `${artifacts}/second-device.png`, fullPage: true });
  });

  it('shows a custom field changed on the brand’s CRM page in the next message’s customer data', async () => {
    const admin = await device();
    await admin.goto(crm);
    const row = admin.locator('tr[data-customer=ada]');
    await row.locator('input[name=tier]').fill('platinum');
    await row.locator('button[data-action=save]').click();
    await row.locator('[data-status]').filter({ hasText: /saved/i }).waitFor();
    await admin.screenshot({ path: `${artifacts}/crm.png`, fullPage: true });

    await send(laptop, 'Did my tier change?');
    await messageWith(laptop, 'bot', 'platinum member');
    await laptop.locator('#customer [data-field=tier]').filter({ hasText: 'platinum' }).waitFor();
  });

  it('gives a device that was offline every message it missed, in order', async () => {
    await phone.goto('about:blank'); // the tab keeps its session; the device is gone for now
    for (const text of ['While you were away 1', 'While you were away 2', 'While you were away 3'])
      await send(laptop, text);
    await messageWith(laptop, 'customer', 'While you were away 3');
    await waitFor('the bot’s replies', async () => (await laptop.locator('.message').count()) >= 12, {
      timeoutMs: 45_000,
    });
    await phone.goto(web); // back online: resumes from its last seq (sync, then live)
    await phone.waitForSelector('#status[data-status=live]', { timeout: 30_000 });
    await waitFor(
      'the phone to catch up',
      async () => (await phone.locator('.message').count()) === (await laptop.locator('.message').count()),
      { timeoutMs: 30_000 },
    );
    const phoneSeqs = await seqs(phone);
    expect(phoneSeqs).toEqual([...phoneSeqs].sort((a, b) => a - b));
    expect(phoneSeqs).toEqual(phoneSeqs.map((_, i) => i + 1));
    expect(await texts(phone)).toEqual(await texts(laptop));
  });

  it('asks the customer to sign in again once the brand revoked the grant', async () => {
    const admin = await device();
    await admin.goto(crm);
    const row = admin.locator('tr[data-customer=ada]');
    await row.locator('button[data-action=revoke]').click();
    await row
      .locator('[data-status]')
      .filter({ hasText: /revoked/i })
      .waitFor();

    await send(laptop, 'Am I still signed in?');
    await laptop.waitForSelector('#reauth:not([hidden])', { timeout: 30_000 });
    await laptop.screenshot({ path: `${artifacts}/reauthentication.png`, fullPage: true });
  });
});
