// First use, as a newcomer meets it: the workbench opens on a GitOps repository, the GitOps Deploy
// view has never been opened, and F1 + "Promote to Production" finds the command and runs it.
// This file sorts first in the fixture suite, so nothing has activated the extension or opened
// its view before it.
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { EXTENSION_ID, hasUiDriver, uiPalette, uiViewTitle } from './helpers';

/** Resolves when `check` holds, re-checking on each turn of the event loop for up to `ms`. */
async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('First use: the commands before the view is opened', () => {
  it('activates by itself because the workspace holds helm/environments/*-env/image-tags.yaml', async function () {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, 'the extension is installed');
    // No command has run and no view has been opened: only the workspaceContains event can activate it.
    await until('the extension to activate', () => ext.isActive);
    if (hasUiDriver) assert.equal((await uiViewTitle())?.viewOpen, false, 'the GitOps Deploy view has not been opened');
  });

  it('F1 + "Promote to Production" finds the command and opens its first prompt', async function () {
    if (!hasUiDriver) this.skip();
    const found = await uiPalette('Promote to Production', { enter: true });
    assert.ok(found, 'the UI driver answered');
    assert.equal(found.rows[0], 'GitOps Deploy: Promote to Production', `palette rows: ${JSON.stringify(found.rows)}`);
    assert.equal(found.title, 'Promote to prod: which service?');
    // Running it from the palette opened no view: the person only asked for the command.
    assert.equal((await uiViewTitle())?.viewOpen, false);
  });
});
