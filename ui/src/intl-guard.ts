// uPlot builds an Intl.NumberFormat for navigator.language when it loads;
// under LANG=C, WebKit reports the language "C", which Intl rejects with a
// RangeError. Imported before uPlot: such a language reads as en-US.
try {
  new Intl.NumberFormat(navigator.language);
} catch {
  Object.defineProperty(navigator, 'language', { value: 'en-US', configurable: true });
}
export {};
