import { openStudio, waitAudio } from './lab.mjs';
const s = await openStudio();
const { page } = s;
const shot = (n) => page.screenshot({ path: `/tmp/walk/${n}.png` });
page.on('pageerror', (e) => console.log('pageerror:', e.message));
await page.click('#add-drums');
await page.mouse.dblclick(240, 210);
await page.waitForTimeout(300);
const box = await page.locator('#roll').boundingBox();
for (let i = 0; i < 8; i++) {
  const { x, y } = await page.evaluate(([t, k]) => ({ x: window.quaver.roll.tickToX(t), y: window.quaver.roll.keyToY(k) }), [i * 480, i % 2 ? 42 : 36]);
  await page.mouse.click(box.x + x + 3, box.y + y + 4);
}
await shot('10-beat');
await page.keyboard.press('Space');
await waitAudio(page, 1.5);
await page.click('#tab-analysis');
await waitAudio(page, 0.5);
await shot('11-analysis-playing');
await page.click('#tab-mixer');
await waitAudio(page, 0.5);
await shot('12-mixer-playing');
await page.keyboard.press('Space');
// select the drum clip, duplicate with ctrl+d
await page.mouse.click(300, 205);
await page.keyboard.press('Control+d');
await page.waitForTimeout(300);
await shot('13-duplicated');
console.log(JSON.stringify(await page.evaluate(() => window.quaver.project.tracks.map((t) => t.clips.map((c) => [c.start, c.length])))));
await s.close();
