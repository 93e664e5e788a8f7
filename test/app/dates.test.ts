import { describe, expect, it } from 'vitest';
import { showTime } from '../../src/app/dates.ts';

const NOW = Date.UTC(2026, 10, 30, 15, 5, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('showTime', () => {
  it.each([
    [23 * HOUR, 'in 23 hours', '23小时后'],
    [23 * HOUR + 40 * MINUTE, 'in 24 hours', '24小时后'],
    [36 * HOUR, 'in 2 days', '后天'],
    [DAY, 'tomorrow', '明天'],
    [7 * DAY, 'in 7 days', '7天后'],
    [45 * MINUTE, 'in 45 minutes', '45分钟后'],
    [20 * SECOND, 'in 20 seconds', '20秒钟后'],
    [-40, 'now', '现在'],
    [-2 * MINUTE, '2 minutes ago', '2分钟前'],
    [-3 * HOUR, '3 hours ago', '3小时前'],
  ])('%i ms from now: "%s" / "%s"', (delta, en, zh) => {
    const at = new Date(NOW + delta);
    expect(showTime(at, NOW, 'en').relative).toBe(en);
    expect(showTime(at, NOW, 'zh-CN').relative).toBe(zh);
  });

  it('keeps the exact ISO instant for machines', () => {
    expect(showTime(new Date(NOW + 23 * HOUR + 123), NOW, 'zh-CN').iso).toBe('2026-12-01T14:05:00.123Z');
  });

  it("names the date, time and zone in the reader's language", () => {
    const at = new Date(NOW + 8 * HOUR);
    expect(showTime(at, NOW, 'en', 'Asia/Shanghai').local).toBe('Dec 1, 2026, 7:05 AM GMT+8');
    expect(showTime(at, NOW, 'zh-CN', 'Asia/Shanghai').local).toBe('2026年12月1日 GMT+8 07:05');
    expect(showTime(at, NOW, 'en', 'UTC').local).toBe('Nov 30, 2026, 11:05 PM UTC');
  });
});
