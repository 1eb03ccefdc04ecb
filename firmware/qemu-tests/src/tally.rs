//! Counting cases and reporting failures over semihosting, without an
//! allocator: a failure is printed the moment it is found.

use core::fmt;
use cortex_m_semihosting::hprintln;

/// Distance in units in the last place between two f32, with `+0 == -0`;
/// `u32::MAX` when exactly one is NaN, `0` when both are.
pub fn ulps(a: f32, b: f32) -> u32 {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => return 0,
        (true, false) | (false, true) => return u32::MAX,
        _ => {}
    }
    softmax_simd_checker::ulp_diff(a, b)
}

/// Pass/fail counts for the whole run.
pub struct Tally {
    pub passed: u32,
    pub failed: u32,
}

/// One case: the name printed with each of its failures.
pub struct Case<'t> {
    tally: &'t mut Tally,
    api: &'static str,
    name: &'static str,
    ok: bool,
}

impl Tally {
    pub const fn new() -> Self {
        Tally { passed: 0, failed: 0 }
    }

    /// Runs `body` as one case of `api`; it passes if no expectation fails.
    pub fn case(&mut self, api: &'static str, name: &'static str, body: impl FnOnce(&mut Case<'_>)) {
        let mut c = Case {
            tally: self,
            api,
            name,
            ok: true,
        };
        body(&mut c);
        let ok = c.ok;
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
    }
}

impl Case<'_> {
    /// No expectation of this case has failed so far.
    pub fn ok(&self) -> bool {
        self.ok
    }

    /// Records a failure unless `cond`.
    pub fn expect(&mut self, cond: bool, what: fmt::Arguments<'_>) {
        if !cond {
            self.fail(what);
        }
    }

    pub fn fail(&mut self, what: fmt::Arguments<'_>) {
        // Print only the first few failures of a case: one wrong kernel
        // should not flood the semihosting console.
        if self.ok || self.tally.failed < 50 {
            hprintln!("FAIL [{}] {}: {}", self.api, self.name, what);
        }
        self.ok = false;
    }

    /// `got` within `tol` ULP of `want` (NaN matches only NaN).
    pub fn near(&mut self, what: &str, i: usize, got: f32, want: f32, tol: u32) {
        let d = ulps(got, want);
        if d > tol {
            self.fail(format_args!("{what}[{i}] = {got:e}, want {want:e} ({d} ULP > {tol})"));
        }
    }

    /// Every element of `got` within `tol` ULP of `want`.
    pub fn all_near(&mut self, what: &str, got: &[f32], want: &[f32], tol: u32) {
        if got.len() != want.len() {
            self.fail(format_args!("{what}: {} values, want {}", got.len(), want.len()));
            return;
        }
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            let before = self.ok;
            self.near(what, i, g, w, tol);
            if before && !self.ok {
                return; // first bad element is enough
            }
        }
    }
}
