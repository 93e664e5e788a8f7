import { describe, expect, it } from 'vitest';
import { en } from '../../src/i18n/en.ts';
import { zhCN } from '../../src/i18n/zh-CN.ts';
import express from 'express';
import request from 'supertest';
import { translator } from '../../src/i18n/index.ts';
import { languageOf } from '../../src/http/render.ts';
import { ERROR_CODES } from '../../src/errors/codes.ts';
import { translator as appTranslator } from '../../src/app/messages.ts';

describe('i18n', () => {
  it('has the same keys in both languages and a message for every error code', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
    for (const code of Object.keys(ERROR_CODES)) expect(Object.keys(en)).toContain(`error.${code}`);
  });

  it.each([
    [undefined, 'en'],
    ['zh-CN,zh;q=0.9,en;q=0.8', 'zh-CN'],
    ['zh-TW', 'zh-CN'],
    ['en-US,en;q=0.9,zh-CN;q=0.8', 'en'],
    ['fr-FR, zh;q=0.5', 'zh-CN'],
    ['en;q=0.1, zh;q=0.9', 'zh-CN'],
    ['*', 'en'],
    [';;;q=abc,,', 'en'],
  ])('Accept-Language %j → %s', async (header, locale) => {
    const app = express().get('/', (req, res) => res.send(languageOf(req).locale));
    const req = request(app).get('/');
    expect((await (header === undefined ? req : req.set('Accept-Language', header))).text).toBe(locale);
  });

  it('fills placeholders, in the library and in the reference app', () => {
    expect(translator('zh-CN')('error.title')).toBe('出错了');
    expect(appTranslator('zh-CN')('home.signedIn.title', { name: '小明' })).toBe('你好，小明');
  });
});
