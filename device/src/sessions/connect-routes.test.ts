// Connect-and-go query parameters that are no scalars in the create body (connect-routes.ts).
import { describe, expect, it } from 'vitest';
import { queryGeolocation } from './connect-routes.js';

describe('queryGeolocation', () => {
  it('reads lat,lon[,accuracy] as the create body\'s geolocation', () => {
    expect(queryGeolocation('52.52,13.405')).toEqual({ latitude: 52.52, longitude: 13.405 });
    expect(queryGeolocation('-33.9,18.4,25')).toEqual({ latitude: -33.9, longitude: 18.4, accuracy: 25 });
  });

  it('checks the ranges as the body does, naming the parameter', () => {
    expect(() => queryGeolocation('95,0')).toThrow(/querystring\.geolocation\.latitude must be <= 90/);
    expect(() => queryGeolocation('0,-181')).toThrow(/querystring\.geolocation\.longitude must be >= -180/);
  });
});
