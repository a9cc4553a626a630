import twitterText from 'twitter-text'
// X (formerly Twitter). Sources, checked 2026-12-04:
// - intent: https://developer.x.com/en/docs/x-for-websites/tweet-button/guides/web-intent (https://x.com/intent/tweet, text, url, hashtags, via)
// - length: https://docs.x.com/resources/fundamentals/counting-characters, implemented by twitter-text (twitter/twitter-text js, parseTweet)
// - hashtags: twitter-text extractHashtags (twitter/twitter-text js/src/regexp/validHashtag.js)

export const X_INTENT = 'https://x.com/intent/tweet'
export const X_LIMIT = 280

/** X's weighted length (twitter-text v3: URLs 23, CJK and emoji 2). */
export function xLength (text: string): number {
  return twitterText.parseTweet(text).weightedLength
}

/** The hashtags X reads in a text, without their #, in NFC (twitter-text normalises before parsing). */
export function xHashtags (text: string): string[] {
  return twitterText.extractHashtags(text.normalize('NFC'))
}
