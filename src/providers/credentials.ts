// Credentials in the editor: the kube context and AWS profile are settings with pickers; the GitHub
// token comes from VS Code's GitHub sign-in. Nothing here loads the Kubernetes or AWS SDK.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WorkspaceModel } from './workspaceModel';
import { awsProfiles, kubeconfigFiles, kubeContexts, type KubeContextInfo } from './credentialsParse';
import type { Prompter } from './prompter';
import { SETTING_KUBECONFIG, userScopeKubeconfig } from './userKubeconfig';

export const SETTING_KUBE_CONTEXT = 'kubeContext';
export const SETTING_AWS_PROFILE = 'awsProfile';
export const SETTING_ACTOR = 'actor';

export function setting(key: string): string | undefined {
  const v = vscode.workspace.getConfiguration('gitopsDeploy').get<string>(key, '');
  return v?.trim() || undefined;
}

/** gitopsDeploy.kubeconfig from the user's (or the remote machine's) settings, never the workspace's. */
export function userKubeconfig(): string | undefined {
  return userScopeKubeconfig(vscode.workspace.getConfiguration('gitopsDeploy').inspect<string>(SETTING_KUBECONFIG), os.homedir());
}

async function store(key: string, value: string | undefined): Promise<void> {
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration('gitopsDeploy').update(key, value, target);
}

/** The GitHub token of the signed-in GitHub account, when there is one (never prompts). */
export async function githubToken(): Promise<string | undefined> {
  const session = await vscode.authentication.getSession('github', ['repo', 'workflow'], { createIfNone: false });
  return session?.accessToken;
}

const readOr = (file: string) => fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)));

export function registerCredentials(ctx: { model: WorkspaceModel; log: vscode.LogOutputChannel }, prompter: () => Prompter): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('gitopsDeploy.selectKubeContext', async () => {
      const configured = userKubeconfig() ?? ctx.model.current?.config?.kubernetes.kubeconfig;
      const files = kubeconfigFiles(process.env, os.homedir(), configured);
      const contexts: KubeContextInfo[] = [];
      const problems: string[] = [];
      for (const f of files) {
        try {
          const text = await readOr(f);
          if (text) contexts.push(...kubeContexts(text, f));
        } catch (err) {
          problems.push(err instanceof Error ? err.message : String(err));
        }
      }
      if (contexts.length === 0) {
        void prompter().notify('error', `No Kubernetes contexts found in ${files.join(', ')}${problems.length ? ` (${problems.join('; ')})` : ''}. Create one with your cloud's CLI (e.g. aws eks update-kubeconfig) or point the gitopsDeploy.kubeconfig user setting at your kubeconfig.`, []);
        return;
      }
      const current = setting(SETTING_KUBE_CONTEXT);
      const items = [
        { label: '$(circle-slash) Use the default', description: 'the repository configuration, then the kubeconfig\'s current context', value: '' },
        ...contexts.map((c) => ({ label: c.name, description: [c.cluster && `cluster ${c.cluster}`, c.namespace && `namespace ${c.namespace}`, c.current && 'current context'].filter(Boolean).join(' · '), detail: path.basename(c.file) === 'config' ? c.file : path.basename(c.file), value: c.name, picked: c.name === current })),
      ];
      const chosen = await prompter().pick(items, { title: 'Kubernetes context for GitOps Deploy', placeholder: current ? `now: ${current}` : 'now: the default' });
      if (!chosen) return;
      await store(SETTING_KUBE_CONTEXT, chosen.value || undefined);
      ctx.log.info(`kube context: ${chosen.value || '(default)'}`);
    }),
    vscode.commands.registerCommand('gitopsDeploy.selectAwsProfile', async () => {
      const dir = path.join(os.homedir(), '.aws');
      const configFile = process.env.AWS_CONFIG_FILE || path.join(dir, 'config');
      const credFile = process.env.AWS_SHARED_CREDENTIALS_FILE || path.join(dir, 'credentials');
      let profiles;
      try {
        profiles = awsProfiles(await readOr(configFile), await readOr(credFile));
      } catch (err) {
        void prompter().notify('error', `Cannot read the AWS profiles (${configFile}, ${credFile}): ${err instanceof Error ? err.message : String(err)}`, []);
        return;
      }
      const current = setting(SETTING_AWS_PROFILE);
      const items = [
        { label: '$(circle-slash) Use the default credential chain', description: 'AWS_PROFILE, environment variables, SSO cache, instance role', value: '' },
        ...profiles.map((p) => ({ label: p.name, description: [p.kind, p.region, `in ${p.sources.join(' and ')}`].filter(Boolean).join(' · '), value: p.name, picked: p.name === current })),
      ];
      if (profiles.length === 0) items[0].description += ` (no profiles in ${configFile} or ${credFile})`;
      const chosen = await prompter().pick(items, { title: 'AWS profile for ECR', placeholder: current ? `now: ${current}` : 'now: the default credential chain' });
      if (!chosen) return;
      await store(SETTING_AWS_PROFILE, chosen.value || undefined);
      ctx.log.info(`AWS profile: ${chosen.value || '(default chain)'}`);
    }),
  ];
}
