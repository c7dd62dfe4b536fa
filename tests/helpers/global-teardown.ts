import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const template = process.env.SRHUB_TEST_PGLITE_TEMPLATE_ROOT;
  if (template) rmSync(template, { recursive: true, force: true });
  for (const container of globalThis.__srhubContainers ?? []) await container.stop();
}
