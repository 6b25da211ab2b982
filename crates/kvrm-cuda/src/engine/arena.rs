//! The launch arena: every per-launch array of the kernel in one device
//! buffer, so a launch costs one copy up and one copy down. A syscall round
//! trip is a launch, and separate buffers (allocated, copied and read back
//! one by one, each read a synchronisation) were most of its time.
//!
//! Layout (16-byte aligned parts): control, the progress counter, the lane
//! stops and the lane states first (what comes back: one download of that
//! prefix), then the inputs the kernel only reads (budgets, lane spaces,
//! lane machines, the space descriptors).

use core::mem::size_of;

use kvrm_isa::CpuState;
use zerocopy::{FromBytes, IntoBytes};

use crate::layout::{Control, LaneStop, SpaceDev};

#[derive(Clone, Copy, Debug)]
pub(crate) struct ArenaLayout {
    pub lanes: usize,
    pub progress: usize,
    pub stops: usize,
    pub states: usize,
    pub budgets: usize,
    pub lane_space: usize,
    pub lane_machine: usize,
    pub spaces: usize,
    /// Bytes the host reads back after the kernel: control to the states' end.
    pub download: usize,
    pub total: usize,
}

impl ArenaLayout {
    pub fn new(lanes: usize, spaces: usize) -> Self {
        let up = |x: usize| x.next_multiple_of(16);
        let progress = size_of::<Control>();
        let stops = up(progress + size_of::<u64>());
        let states = up(stops + lanes * size_of::<LaneStop>());
        let download = states + lanes * size_of::<CpuState>();
        let budgets = up(download);
        let lane_space = budgets + lanes * size_of::<u64>();
        let lane_machine = lane_space + lanes * size_of::<u32>();
        let spaces_at = up(lane_machine + lanes * size_of::<u32>());
        ArenaLayout {
            lanes,
            progress,
            stops,
            states,
            budgets,
            lane_space,
            lane_machine,
            spaces: spaces_at,
            download,
            total: spaces_at + spaces * size_of::<SpaceDev>(),
        }
    }

    /// The arena's bytes for one launch (stops and progress zero), into
    /// `buf` (`total` bytes; reused between launches).
    pub fn pack(
        &self,
        buf: &mut [u8],
        control: &Control,
        states: impl Iterator<Item = CpuState>,
        budgets: &[u64],
        lane_space: &[u32],
        spaces: &[SpaceDev],
    ) {
        buf.fill(0);
        put(buf, 0, control.as_bytes());
        for (i, s) in states.enumerate() {
            put(buf, self.states + i * size_of::<CpuState>(), s.as_bytes());
        }
        put(buf, self.budgets, budgets.as_bytes());
        put(buf, self.lane_space, lane_space.as_bytes());
        let machines: Vec<u32> = (0..self.lanes as u32).collect();
        put(buf, self.lane_machine, machines.as_bytes());
        put(buf, self.spaces, spaces.as_bytes());
    }

    /// Control, the lane stops and the lane states from the downloaded prefix.
    pub fn unpack(&self, buf: &[u8]) -> (Control, Vec<LaneStop>, Vec<CpuState>) {
        let control = read::<Control>(buf, 0);
        let stops = (0..self.lanes)
            .map(|i| read::<LaneStop>(buf, self.stops + i * size_of::<LaneStop>()))
            .collect();
        let states = (0..self.lanes)
            .map(|i| read::<CpuState>(buf, self.states + i * size_of::<CpuState>()))
            .collect();
        (control, stops, states)
    }
}

fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    buf[at..at + bytes.len()].copy_from_slice(bytes);
}

fn read<T: FromBytes>(buf: &[u8], at: usize) -> T {
    T::read_from_bytes(&buf[at..at + size_of::<T>()]).expect("arena part of the type's size")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_aligned_and_disjoint_and_round_trip() {
        for (lanes, spaces) in [(1, 1), (3, 2), (1000, 7)] {
            let l = ArenaLayout::new(lanes, spaces);
            for at in [l.stops, l.states, l.budgets, l.spaces] {
                assert_eq!(at % 16, 0);
            }
            assert!(l.progress + 8 <= l.stops);
            assert!(l.download <= l.budgets);
            assert!(l.lane_machine + 4 * lanes <= l.spaces);
            let mut states = vec![CpuState::new(); lanes];
            for (i, s) in states.iter_mut().enumerate() {
                s.pc = 0x1000 + i as u64;
                s.v[31] = [i as u64, !(i as u64)];
            }
            let ctl = Control {
                frames_next: 5,
                frames_cap: 9,
                events_next: 0,
                events_cap: 77,
                ..Control::default()
            };
            let mut buf = vec![0xa5; l.total];
            let budgets = vec![42u64; lanes];
            let lane_space = vec![1u32; lanes];
            let devs = vec![SpaceDev { table: 8, mask: 3 }; spaces];
            l.pack(
                &mut buf,
                &ctl,
                states.iter().copied(),
                &budgets,
                &lane_space,
                &devs,
            );
            assert_eq!(buf.len(), l.total);
            let (c, stops, back) = l.unpack(&buf[..l.download]);
            assert_eq!((c.frames_next, c.events_cap), (5, 77));
            assert!(stops.iter().all(|s| s.kind == 0 && s.retired == 0));
            assert_eq!(back, states);
            let m = l.lane_machine + 4 * (lanes - 1);
            assert_eq!(buf[m..m + 4], ((lanes - 1) as u32).to_le_bytes());
        }
    }
}
