// The kinds of registry replication talks to, each describing its own form fields, so the
// console builds its forms from this data (GET /api/v2.0/replication/adapterinfos, in
// Harbor's shape plus `fields`). One source of truth for the registry types.
import type { AdapterField, AdapterInfo } from '../lib/harborTypes.js';

export const registryTypes = ['berth', 'harbor', 'docker-registry', 'oci'] as const;
export type RegistryType = (typeof registryTypes)[number];

const commonFields = (urlPlaceholder: string, credentialsRequired: boolean): AdapterField[] => [
  { key: 'url', label: 'Endpoint URL', type: 'url', required: true, placeholder: urlPlaceholder },
  { key: 'access_key', label: 'Access ID (user name or robot account)', type: 'text', required: credentialsRequired },
  {
    key: 'access_secret',
    label: 'Access secret (password or robot secret)',
    type: 'password',
    required: credentialsRequired,
    help: 'Stored encrypted; never shown again.',
  },
  { key: 'insecure', label: 'Skip TLS certificate verification', type: 'boolean', required: false },
];

const descriptions: Record<RegistryType, { description: string; url: string; credentials: boolean }> = {
  berth: { description: 'Another Berth: projects and repositories map one to one.', url: 'https://berth.example.com', credentials: true },
  harbor: { description: 'Harbor v2: projects and repositories map one to one.', url: 'https://harbor.example.com', credentials: true },
  'docker-registry': {
    description: 'CNCF Distribution (docker registry v2), with or without basic or token auth.',
    url: 'https://registry.example.com',
    credentials: false,
  },
  oci: { description: 'Any registry that implements the OCI distribution spec.', url: 'https://registry.example.com', credentials: false },
};

export function adapterInfos(): Record<RegistryType, AdapterInfo> {
  // NOTE: fromEntries loses the keys' type; registryTypes lists every key.
  return Object.fromEntries<AdapterInfo>(
    registryTypes.map((type) => [
      type,
      {
        type,
        description: descriptions[type].description,
        supported_resource_filters: [
          { type: 'name', style: 'input' },
          { type: 'tag', style: 'input' },
          { type: 'resource', style: 'radio', values: ['image', 'artifact'] },
        ],
        supported_triggers: ['manual', 'scheduled', 'event_based'],
        supported_copy_by_chunk: true,
        endpoint_pattern: { endpoint_type: 'EndpointPatternTypeStandard', endpoints: [] },
        credential_pattern: {
          access_key_type: 'AccessKeyTypeStandard',
          access_key_data: '',
          access_secret_type: 'AccessSecretTypeStandard',
          access_secret_data: '',
        },
        fields: commonFields(descriptions[type].url, descriptions[type].credentials),
      },
    ]),
  ) as Record<RegistryType, AdapterInfo>;
}

export function isRegistryType(v: unknown): v is RegistryType {
  return typeof v === 'string' && (registryTypes as readonly string[]).includes(v);
}
