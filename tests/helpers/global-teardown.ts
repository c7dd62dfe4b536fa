export default async function globalTeardown(): Promise<void> {
  for (const container of globalThis.__srhubContainers ?? []) await container.stop();
}
