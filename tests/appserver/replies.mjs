// What the fake model (fake_model.mjs) streams; helpers.mjs prints the same text for the cases.
// One array element per streamed delta. The reply mixes ASCII, Latin accents, CJK and emoji so
// that a split or re-encoded multi-byte character shows up as a difference.
export const REPLY = ['Hello ', 'from ', 'the ', 'fake ', 'model! ', 'Accents: ', 'café, ', 'naïve; ',
                      'CJK: ', '日本語 ', '中文; ', 'emoji: ', '🙂 ', '🚀 ', 'end.'];
export const REASONING = ['Thinking ', 'about ', 'it: ', 'réflexion ', '🤔.'];
export const TOOL_REPLY_PREFIX = 'The file says: ';
