import { describe, expect, it, vi } from 'vitest';
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

  it("names the date, time and the server's UTC offset the same way in both languages", () => {
    const at = new Date(NOW + 8 * HOUR);
    expect(showTime(at, NOW, 'en', 8 * 60).local).toBe('2026-12-01 07:05 GMT+8');
    expect(showTime(at, NOW, 'zh-CN', 8 * 60).local).toBe('2026-12-01 07:05 GMT+8');
    expect(showTime(at, NOW, 'en', 0).local).toBe('2026-11-30 23:05 UTC');
    expect(showTime(at, NOW, 'en', -(9 * 60 + 30)).local).toBe('2026-11-30 13:35 GMT-9:30');
    expect(showTime(at, NOW, 'en', 5 * 60 + 45).local).toBe('2026-12-01 04:50 GMT+5:45');
  });

  it("uses the server's time zone when no offset is given", () => {
    // Node applies a change of TZ at once; vitest puts the worker's own zone back.
    try {
      vi.stubEnv('TZ', 'Asia/Shanghai');
      expect(showTime(new Date(NOW), NOW, 'en').local).toBe('2026-11-30 23:05 GMT+8');
      vi.stubEnv('TZ', 'America/St_Johns');
      expect(showTime(new Date(NOW), NOW, 'en').local).toBe('2026-11-30 11:35 GMT-3:30');
      vi.stubEnv('TZ', 'UTC');
      expect(showTime(new Date(NOW), NOW, 'en').local).toBe('2026-11-30 15:05 UTC');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('names yesterday and the day before as Intl does', () => {
    expect(showTime(new Date(NOW - DAY), NOW, 'en').relative).toBe('yesterday');
    expect(showTime(new Date(NOW - DAY), NOW, 'zh-CN').relative).toBe('昨天');
    expect(showTime(new Date(NOW - 2 * DAY), NOW, 'zh-CN').relative).toBe('前天');
    expect(showTime(new Date(NOW - 2 * DAY), NOW, 'en').relative).toBe('2 days ago');
    expect(showTime(new Date(NOW + HOUR), NOW, 'en').relative).toBe('in 1 hour');
    expect(showTime(new Date(NOW - MINUTE), NOW, 'en').relative).toBe('1 minute ago');
  });
});
