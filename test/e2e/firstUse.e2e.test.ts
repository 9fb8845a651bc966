// First use, as a newcomer meets it: the workbench opens on a GitOps repository, the GitOps Deploy
// view has never been opened, and F1 + "Promote to Production" finds the command and runs it.
// This file sorts first in the fixture suite, so nothing has activated the extension or opened
// its view before it (the extension activates on its own: workspaceContains).
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { EXTENSION_ID, hasUiDriver, uiPalette, uiViewTitle } from './helpers';

describe('First use: the commands before the view is opened', () => {
  it('F1 + "Promote to Production" finds the command and opens its first prompt', async function () {
    if (!hasUiDriver) this.skip();
    const before = await uiViewTitle();
    assert.equal(before?.viewOpen, false, 'the GitOps Deploy view has not been opened yet');
    const found = await uiPalette('Promote to Production', { enter: true });
    assert.ok(found, 'the UI driver answered');
    assert.equal(found.rows[0], 'GitOps Deploy: Promote to Production', `palette rows: ${JSON.stringify(found.rows)}`);
    assert.equal(found.title, 'Promote to prod: which service?');
    // The palette alone activated nothing the person did not ask for: the view is still closed.
    assert.equal((await uiViewTitle())?.viewOpen, false);
  });

  it('the extension activated because the workspace holds helm/environments/*-env/image-tags.yaml', function () {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext?.isActive, 'active');
  });
});
