import { readFileSync, writeFileSync } from 'node:fs';
import { flowMermaid } from '../src/core/reset-flow.ts';

const file = new URL('../docs/flow.md', import.meta.url);
const doc = readFileSync(file, 'utf8');
const next = doc.replace(/```mermaid\n[\s\S]*?```/, '```mermaid\n' + flowMermaid() + '\n```');
writeFileSync(file, next);
console.log('updated docs/flow.md');
