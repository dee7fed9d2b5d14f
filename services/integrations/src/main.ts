import { bootService } from '@parley/ops';
import { createApp } from './app.js';
import { loadConfig } from './config.js';

await bootService({ name: 'integrations', mainUrl: import.meta.url, loadConfig, createApp });
