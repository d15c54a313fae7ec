import json,sys
d=json.load(open(sys.argv[1]))
src=['//! Probability (× 255) that a token boundary falls between two letters inside a rare word,',
'//! by letter pair: `a`–`z` are 0–25, any other Latin letter is 26 (index `first * 27 + second`).',
'//!',
'//! Measured on the word segments that miss the word list, in the fitting half of the corpus and',
'//! the generalisation notes (`tests/data/tokens/tools/bigrams.js`).','']
for en,name in (('o200k','O200K'),('cl100k','CL100K')):
    v=[max(0,min(255,round(x*255))) for x in d[en]]
    src.append(f'/// Boundary probabilities for `{en}_base`.')
    src.append(f'pub(super) const {name}: [u8; 729] = [')
    for i in range(0,729,27): src.append('    '+', '.join(str(x) for x in v[i:i+27])+',')
    src.append('];')
open(sys.argv[2],'w').write('\n'.join(src)+'\n')
