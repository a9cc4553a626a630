// A few words for the team page ("Firefox on Android"): never the raw header, which can be long and identifying.
const BROWSERS: Array<[RegExp, string]> = [[/Edg(?:e|A|iOS)?\//, 'Edge'], [/OPR\/|Opera/, 'Opera'], [/Firefox\/|FxiOS\//, 'Firefox'], [/Chrome\/|CriOS\/|Chromium\//, 'Chrome'], [/Safari\//, 'Safari'], [/curl\//, 'curl']]
const SYSTEMS: Array<[RegExp, string]> = [[/Android/, 'Android'], [/iPhone|iPad|iPod/, 'iOS'], [/Windows/, 'Windows'], [/Mac OS X|Macintosh/, 'macOS'], [/CrOS/, 'ChromeOS'], [/Linux/, 'Linux']]

/** "Browser on System" from a User-Agent header, or '' when neither is recognised. */
export function userAgentSummary (header: string | undefined): string {
  if (!header) return ''
  const browser = BROWSERS.find(([re]) => re.test(header))?.[1]
  const system = SYSTEMS.find(([re]) => re.test(header))?.[1]
  if (browser && system) return `${browser} · ${system}`
  return browser ?? system ?? ''
}
