// GET /api/v2.0/ping (Harbor's liveness probe) and GET /api/v2.0/openapi.yaml.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type Koa from 'koa';
import { projectRoot } from '../config/paths.js';

export const openApiFile = path.join(projectRoot, 'docs/openapi.yaml');

export const ping: Koa.Middleware = async (ctx) => {
  ctx.type = 'text/plain';
  ctx.body = 'Pong';
};

export const openApi: Koa.Middleware = async (ctx) => {
  ctx.set('Content-Type', 'application/yaml; charset=utf-8');
  ctx.body = await readFile(openApiFile, 'utf8');
};
