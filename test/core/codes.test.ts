import { describe, expect, it } from "vitest";
import { generateCode } from "../../src/core/codes.js";

/**
 * Upper 1e-7 critical value of chi-square with 9 degrees of freedom: a fair generator fails one
 * run in millions (six positions). Over 400,000 codes the modulo bias of one random byte (26/256
 * against 25/256 per digit) gives a statistic near 150.
 */
const CHI_SQUARE_9_DF_P1E7 = 50.17;

describe("codes", () => {
  it("have uniform digits in every position (chi-square)", () => {
    const samples = 400_000;
    const counts = Array.from({ length: 6 }, () => new Array<number>(10).fill(0));
    for (let i = 0; i < samples; i++) {
      const code = generateCode(6);
      for (let position = 0; position < 6; position++) counts[position]![Number(code[position])]! += 1;
    }
    const expected = samples / 10;
    for (const positionCounts of counts) {
      const chiSquare = positionCounts.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
      expect(chiSquare).toBeLessThan(CHI_SQUARE_9_DF_P1E7);
    }
  });

  it("keep leading zeros and have the exact length", () => {
    let leadingZero = 0;
    for (let i = 0; i < 5_000; i++) {
      const code = generateCode(6);
      expect(code).toMatch(/^[0-9]{6}$/);
      if (code.startsWith("0")) leadingZero++;
    }
    // One in ten codes starts with 0; 5,000 draws make fewer than 350 vanishingly unlikely.
    expect(leadingZero).toBeGreaterThan(350);
    for (let length = 6; length <= 10; length++) expect(generateCode(length)).toHaveLength(length);
  });

  it("refuses lengths outside 6-10", () => {
    expect(() => generateCode(5)).toThrow(RangeError);
    expect(() => generateCode(11)).toThrow(RangeError);
  });
});
