import {
  buildOAuthProtectedResourceMetadata,
  type OAuthMetadata,
  type OAuthProtectedResourceMetadata,
} from '@modelcontextprotocol/server';
import { isLoopbackAddress } from '../http/hostOrigin.js';
import { SCOPE, type OAuthSettings } from './oauthSettings.js';

export const AUTHORIZE_PATH = '/oauth/authorize';
export const TOKEN_PATH = '/oauth/token';
export const REGISTER_PATH = '/oauth/register';
export const AS_METADATA_PATH = '/.well-known/oauth-authorization-server';
export const PRM_ROOT_PATH = '/.well-known/oauth-protected-resource';
/** The path-aware PRM of `/mcp` (RFC 9728 §3.1): PUBLIC_URL is an origin, so the resource's path is always `/mcp`. */
export const PRM_MCP_PATH = `${PRM_ROOT_PATH}/mcp`;
/** Every path the authorization server answers, for routing and routeLabel. */
export const OAUTH_ROUTES = [AS_METADATA_PATH, PRM_ROOT_PATH, PRM_MCP_PATH, AUTHORIZE_PATH, TOKEN_PATH, REGISTER_PATH];

const DOCUMENTATION = 'https://github.com/AceDataCloud/flux-mcp#connect-from-claudeai--chatgpt';

/** RFC 8414 Authorization Server Metadata: what a client needs to sign a user in here. */
export function authorizationServerMetadata(oauth: OAuthSettings): OAuthMetadata & Record<string, unknown> {
  return {
    issuer: oauth.issuer,
    authorization_endpoint: `${oauth.issuer}${AUTHORIZE_PATH}`,
    token_endpoint: `${oauth.issuer}${TOKEN_PATH}`,
    registration_endpoint: `${oauth.issuer}${REGISTER_PATH}`,
    scopes_supported: [SCOPE],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_methods_supported: ['none'],
    code_challenge_methods_supported: ['S256'],
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
    service_documentation: DOCUMENTATION,
  };
}

/**
 * RFC 9728 Protected Resource Metadata of `/mcp`, built by the SDK: this service is its own
 * authorization server, so `authorization_servers[0]` is the issuer above, byte for byte.
 */
export function protectedResourceMetadata(oauth: OAuthSettings): OAuthProtectedResourceMetadata {
  const document = buildOAuthProtectedResourceMetadata({
    oauthMetadata: authorizationServerMetadata(oauth),
    resourceServerUrl: new URL(oauth.resource),
    scopesSupported: [SCOPE],
    resourceName: 'Flux MCP (AceDataCloud)',
    serviceDocumentationUrl: new URL(DOCUMENTATION),
    // The configuration already allows plain http only on loopback; the SDK knows localhost and 127.0.0.1 only.
    dangerouslyAllowInsecureIssuerUrl: isLoopbackAddress(new URL(oauth.issuer).hostname),
  });
  return { ...document, bearer_methods_supported: ['header'] };
}
