/** `taskenv admin …`: operator commands that act on the deployment directly, not through the API. */
import { UsageError } from '../args.ts';
import { type Command, Exit, stringOption, writeJson } from '../command.ts';

export const adminCommands: readonly Command[] = [
  {
    name: 'admin bootstrap',
    args: [],
    summary: 'create an org and its first admin API key in the DynamoDB table (AWS credentials)',
    options: {
      table: { type: 'string', value: 'T', description: 'the taskenv table name (default: $TABLE_NAME)' },
      region: {
        type: 'string',
        value: 'R',
        description: 'AWS region (default: the SDK’s, e.g. $AWS_REGION)',
      },
    },
    details:
      'The org and workspace come from --org/--workspace (or their usual settings); the key is valid for every workspace.',
    async run(context) {
      const { io, options } = context;
      const tableName = stringOption(options, 'table') ?? io.env.TABLE_NAME;
      if (tableName === undefined || tableName === '') {
        throw new UsageError('admin bootstrap needs the table name: --table T (or TABLE_NAME)');
      }
      const region = stringOption(options, 'region');
      const settings = await context.settings();
      // The AWS SDK is heavy; only this command loads it.
      const { runAdminBootstrap } = await import('../admin-bootstrap.ts');
      const result = await runAdminBootstrap({ org: settings.org, tableName, region });
      if (context.json) {
        writeJson(io, {
          org: result.org,
          org_created: result.orgCreated,
          key_id: result.keyId,
          key: result.key,
          workspace: settings.workspace,
        });
        return Exit.ok;
      }
      io.stdout.write(
        `${result.orgCreated ? 'created' : 'found'} org ${result.org}\n` +
          'admin API key (shown once; only its hash is stored):\n' +
          `  ${result.key}\n` +
          'configure the CLI with:\n' +
          `  export TASKENV_API_KEY=${result.key}\n` +
          `  export TASKENV_ORG=${result.org}\n` +
          `  export TASKENV_WORKSPACE=${settings.workspace}\n`,
      );
      return Exit.ok;
    },
  },
];
