// The console draws an image block as Slack does: an uploaded file as the image itself (served by the console), with
// its title above and its alt text; a file it does not have, and an image_url it will not load, as their alt text.
import { describe, expect, it } from 'vitest';
import { blocksToHtml } from '../../../console/blockkit-html.ts';

const fileSrc = (ref: { id?: string; url?: string }) => (ref.id === 'F0CHART0001' || ref.url === 'http://127.0.0.1:1/files-pri/F0CHART0001/m.png' ? '/files-pri/F0CHART0001/m.png' : undefined);

describe('an image block in the console', () => {
  it('shows an uploaded file, named by id or url, under its title', () => {
    const html = '<div class="bk-block bk-image" data-block-id="oombot-chart"><div class="bk-image-title">checkout › api</div><img class="bk-image" src="/files-pri/F0CHART0001/m.png" alt="Memory &lt;chart&gt;" data-testid="image"></div>';
    expect(blocksToHtml([{ type: 'image', block_id: 'oombot-chart', slack_file: { id: 'F0CHART0001' }, alt_text: 'Memory <chart>', title: { type: 'plain_text', text: 'checkout › api' } }], { fileSrc })).toBe(html);
    expect(blocksToHtml([{ type: 'image', block_id: 'oombot-chart', slack_file: { url: 'http://127.0.0.1:1/files-pri/F0CHART0001/m.png' }, alt_text: 'Memory <chart>', title: { type: 'plain_text', text: 'checkout › api' } }], { fileSrc })).toBe(html);
  });

  it('names a file it does not have by its alt text', () => {
    expect(blocksToHtml([{ type: 'image', slack_file: { id: 'F0GONE00001' }, alt_text: 'Memory chart' }], { fileSrc })).toBe(
      '<div class="bk-block bk-image"><span role="img" aria-label="Memory chart">🖼 Memory chart <span class="bk-unsupported">(a file the console does not have)</span></span></div>',
    );
  });

  it('links an image_url without loading it', () => {
    expect(blocksToHtml([{ type: 'image', image_url: 'https://example.com/a.png', alt_text: 'a' }], { fileSrc })).toBe(
      '<div class="bk-block bk-image"><span role="img" aria-label="a">🖼 <a class="bk-link" href="https://example.com/a.png" target="_blank" rel="noopener noreferrer">a</a></span></div>',
    );
  });
});
