// The field app's service worker (a placeholder until the offline app lands).
/// <reference lib="webworker" />
declare const self: ServiceWorkerGlobalScope;
self.addEventListener('install', () => void self.skipWaiting());
export {};
