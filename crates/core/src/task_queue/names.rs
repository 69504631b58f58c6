//! The names of a pool's exported task functions. A task carries a number
//! instead of its function's name: 0 is the default export, and `n > 0` is
//! the `n`-th name registered here.

use crate::sync::Mutex;

pub struct Names {
    names: Mutex<Vec<String>>,
}

impl Default for Names {
    fn default() -> Self {
        Self::new()
    }
}

impl Names {
    pub fn new() -> Self {
        Self {
            names: Mutex::new(Vec::new()),
        }
    }

    /// The number that stands for `name` (from 1), registered on first use.
    pub fn id_of(&self, name: &str) -> u32 {
        let mut names = crate::sync::lock(&self.names);
        let index = names.iter().position(|n| n == name).unwrap_or_else(|| {
            names.push(name.to_owned());
            names.len() - 1
        });
        index as u32 + 1
    }

    /// The name that `id` stands for; `None` for 0 (the default export) and
    /// for numbers never handed out.
    pub fn name_of(&self, id: u32) -> Option<String> {
        let names = crate::sync::lock(&self.names);
        names.get((id as usize).checked_sub(1)?).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::Names;

    #[test]
    fn a_name_keeps_its_number_and_zero_is_the_default_export() {
        let n = Names::new();
        assert_eq!(n.id_of("add"), 1);
        assert_eq!(n.id_of("mul"), 2);
        assert_eq!(n.id_of("add"), 1);
        assert_eq!(n.name_of(2).as_deref(), Some("mul"));
        assert_eq!(n.name_of(0), None);
        assert_eq!(n.name_of(3), None);
    }
}
