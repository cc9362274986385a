//! The machine under the shares (MS-SRVS): NetrRemoteTOD (opnum 28), the clock;
//! NetrServerDiskEnum (3.1.4.19, opnum 23), the drive letters; NetrServerTransportEnum
//! (opnum 26), the listeners; and the character devices and their queues, NetrCharDevEnum
//! (opnum 0) and NetrCharDevQEnum (opnum 3).
//!
//! lwio runs on a system without drive letters and without shared serial devices, so
//! NetrServerDiskEnum (administrators only) returns an empty list, which MS-SRVS allows
//! (TotalEntries "in the range 0–26"). Current MS-SRVS lists opnums 0 to 7 as not used on
//! the wire; older clients still call the character device enumerations, and lwio
//! answers them as Samba does, with empty lists. The time of day is UTC
//! (`tod_timezone` 0).

use std::time::{SystemTime, UNIX_EPOCH};

use super::win32::{ERROR_ACCESS_DENIED, ERROR_INVALID_LEVEL, ERROR_SUCCESS};
use super::{SrvsvcInterface, level_union, vec_len, wstr};
use crate::ndr::{self, ConfVarArray, VaryingArray, WStrPtr};
use crate::ndr_struct;
use crate::pdu::FaultStatus;
use crate::server::CallContext;

ndr_struct! {
    /// TIME_OF_DAY_INFO (2.2.4.105).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct TimeOfDayInfo {
        /// tod_elapsedt: seconds since 1970-01-01 00:00 UTC.
        pub elapsedt: u32,
        /// tod_msecs: milliseconds since an arbitrary start (the service's start).
        pub msecs: u32,
        /// tod_hours (0-23).
        pub hours: u32,
        /// tod_mins.
        pub mins: u32,
        /// tod_secs.
        pub secs: u32,
        /// tod_hunds: hundredths of a second.
        pub hunds: u32,
        /// tod_timezone: minutes west of UTC.
        pub timezone: i32,
        /// tod_tinterval: the clock tick, in ten-thousandths of a second.
        pub tinterval: u32,
        /// tod_day (1-31).
        pub day: u32,
        /// tod_month (1-12).
        pub month: u32,
        /// tod_year.
        pub year: u32,
        /// tod_weekday (0 = Sunday).
        pub weekday: u32,
    }
}

/// The date of `days` since 1970-01-01 in the proleptic Gregorian calendar: (year,
/// month 1-12, day 1-31). Counts in 400-year eras of 146097 days, each starting on
/// March 1st so that the leap day ends the year.
pub(crate) fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // year of era
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the March-based year
    let mp = (5 * doy + 2) / 153; // month, March = 0
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// TIME_OF_DAY_INFO for `since_epoch` (UTC), with `msecs` for `tod_msecs`.
pub(crate) fn time_of_day(since_epoch: std::time::Duration, msecs: u32) -> TimeOfDayInfo {
    let secs = since_epoch.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let in_day = secs % 86_400;
    let (year, month, day) = civil_date(days);
    TimeOfDayInfo {
        elapsedt: u32::try_from(secs).unwrap_or(u32::MAX),
        msecs,
        hours: (in_day / 3600) as u32,
        mins: (in_day / 60 % 60) as u32,
        secs: (in_day % 60) as u32,
        hunds: since_epoch.subsec_millis() / 10,
        timezone: 0,
        // 31 ms, the tick Windows reports (310 ten-thousandths of a second).
        tinterval: 310,
        day,
        month,
        year: u32::try_from(year).unwrap_or(0),
        weekday: (days + 4).rem_euclid(7) as u32, // 1970-01-01 was a Thursday
    }
}

/// NetrRemoteTOD's `[out]` parameter (a pointer to a unique pointer) and status.
pub type RemoteTodResponse = (Option<TimeOfDayInfo>, u32);

/// NetrRemoteTOD: open to every authenticated caller.
pub(super) fn remote_tod(
    srv: &SrvsvcInterface,
    stub: &[u8],
    ctx: &CallContext,
) -> Result<Vec<u8>, FaultStatus> {
    let _server: WStrPtr = ctx.decode(stub)?;
    let response: RemoteTodResponse = if srv.refused(ctx) {
        (None, ERROR_ACCESS_DENIED)
    } else {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let msecs = srv.started.elapsed().as_millis() as u32; // wraps, as on Windows
        (Some(time_of_day(now, msecs)), ERROR_SUCCESS)
    };
    Ok(ndr::to_bytes(&response))
}

ndr_struct! {
    /// DISK_INFO (2.2.4.91): `[string] WCHAR Disk[3]`, a drive letter, a colon and a null.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DiskInfo {
        /// The characters, with the terminating null.
        pub disk: VaryingArray<u16, 3>,
    }
}

ndr_struct! {
    /// DISK_ENUM_CONTAINER (2.2.4.92).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DiskEnumContainer {
        /// EntriesRead.
        pub entries_read: u32,
        /// `[size_is(EntriesRead), length_is(EntriesRead)]` Buffer.
        pub buffer: Option<ConfVarArray<DiskInfo>>,
    }
}

/// NetrServerDiskEnum's `[in]` parameters: ServerName, Level, DiskInfoStruct,
/// PreferedMaximumLength, ResumeHandle.
pub type DiskEnumRequest = (WStrPtr, u32, DiskEnumContainer, u32, Option<u32>);
/// NetrServerDiskEnum's `[out]` parameters and status: DiskInfoStruct, TotalEntries,
/// ResumeHandle.
pub type DiskEnumResponse = (DiskEnumContainer, u32, Option<u32>, u32);

/// NetrServerDiskEnum: administrators only; level 0; no drive letters here.
pub(super) fn disk_enum(
    srv: &SrvsvcInterface,
    stub: &[u8],
    ctx: &CallContext,
) -> Result<Vec<u8>, FaultStatus> {
    let (_server, level, _info, _max, resume): DiskEnumRequest = ctx.decode(stub)?;
    let status = if srv.refused(ctx) || !ctx.is_administrator() {
        ERROR_ACCESS_DENIED
    } else if level != 0 {
        ERROR_INVALID_LEVEL
    } else {
        ERROR_SUCCESS
    };
    let disks: Vec<DiskInfo> = Vec::new();
    let out = DiskEnumContainer {
        entries_read: vec_len(disks.len()),
        buffer: Some(ConfVarArray::new(disks)),
    };
    let total = out.entries_read;
    let response: DiskEnumResponse = if status == ERROR_SUCCESS {
        (out, total, resume.map(|_| 0), status)
    } else {
        (DiskEnumContainer::default(), 0, resume, status)
    };
    Ok(ndr::to_bytes(&response))
}

ndr_struct! {
    /// SERVER_TRANSPORT_INFO_0 (2.2.4.96).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ServerTransportInfo0 {
        /// svti0_numberofvcs: client connections on the transport.
        pub numberofvcs: u32,
        /// svti0_transportname.
        pub transportname: WStrPtr,
        /// `[size_is(svti0_transportaddresslength)]` svti0_transportaddress.
        pub transportaddress: Option<Vec<u8>>,
        /// svti0_transportaddresslength.
        pub transportaddresslength: u32,
        /// svti0_networkaddress.
        pub networkaddress: WStrPtr,
    }
}

ndr_struct! {
    /// SERVER_TRANSPORT_INFO_1 (2.2.4.97): level 0 and the domain.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ServerTransportInfo1 {
        /// svti1_numberofvcs.
        pub numberofvcs: u32,
        /// svti1_transportname.
        pub transportname: WStrPtr,
        /// svti1_transportaddress.
        pub transportaddress: Option<Vec<u8>>,
        /// svti1_transportaddresslength.
        pub transportaddresslength: u32,
        /// svti1_networkaddress.
        pub networkaddress: WStrPtr,
        /// svti1_domain.
        pub domain: WStrPtr,
    }
}

ndr_struct! {
    /// SERVER_TRANSPORT_INFO_2 (2.2.4.98): level 1 and the flags.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ServerTransportInfo2 {
        /// svti2_numberofvcs.
        pub numberofvcs: u32,
        /// svti2_transportname.
        pub transportname: WStrPtr,
        /// svti2_transportaddress.
        pub transportaddress: Option<Vec<u8>>,
        /// svti2_transportaddresslength.
        pub transportaddresslength: u32,
        /// svti2_networkaddress.
        pub networkaddress: WStrPtr,
        /// svti2_domain.
        pub domain: WStrPtr,
        /// svti2_flags (SVTI2_*; none set).
        pub flags: u32,
    }
}

container!(
    /// SERVER_XPORT_INFO_0_CONTAINER.
    ServerXportInfo0Container,
    ServerTransportInfo0
);
container!(
    /// SERVER_XPORT_INFO_1_CONTAINER.
    ServerXportInfo1Container,
    ServerTransportInfo1
);
container!(
    /// SERVER_XPORT_INFO_2_CONTAINER.
    ServerXportInfo2Container,
    ServerTransportInfo2
);

level_union! {
    /// SERVER_XPORT_ENUM_UNION (2.2.3.10). Level 3 (with the transport password) is
    /// not served: ERROR_INVALID_LEVEL.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum ServerXportEnumUnion {
        /// Level 0.
        0 => Level0(ServerXportInfo0Container),
        /// Level 1.
        1 => Level1(ServerXportInfo1Container),
        /// Level 2.
        2 => Level2(ServerXportInfo2Container),
    }
}

ndr_struct! {
    /// SERVER_XPORT_ENUM_STRUCT (2.2.4.101).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ServerXportEnumStruct {
        /// Level.
        pub level: u32,
        /// `[switch_is(Level)]` XportInfo.
        pub info: ServerXportEnumUnion,
    }
}

/// NetrServerTransportEnum's `[in]` parameters: ServerName, InfoStruct,
/// PreferedMaximumLength, ResumeHandle.
pub type TransportEnumRequest = (WStrPtr, ServerXportEnumStruct, u32, Option<u32>);
/// NetrServerTransportEnum's `[out]` parameters and status.
pub type TransportEnumResponse = (ServerXportEnumStruct, u32, Option<u32>, u32);

/// NetrServerTransportEnum: every authenticated caller; levels 0, 1, 2.
pub(super) fn transport_enum(
    srv: &SrvsvcInterface,
    stub: &[u8],
    ctx: &CallContext,
) -> Result<Vec<u8>, FaultStatus> {
    let (_server, info, _max, resume): TransportEnumRequest = ctx.decode(stub)?;
    let level = info.level;
    if info.info.level() != level {
        return Err(FaultStatus::BAD_STUB_DATA);
    }
    let status = if srv.refused(ctx) {
        ERROR_ACCESS_DENIED
    } else if level > 2 {
        ERROR_INVALID_LEVEL
    } else {
        ERROR_SUCCESS
    };
    if status != ERROR_SUCCESS {
        let out = ServerXportEnumStruct {
            level,
            info: ServerXportEnumUnion::null(level),
        };
        let response: TransportEnumResponse = (out, 0, resume, status);
        return Ok(ndr::to_bytes(&response));
    }
    let transports = srv.state.transports();
    let domain = &srv.identity.domain;
    let rows: Vec<ServerTransportInfo2> = transports
        .iter()
        .map(|t| ServerTransportInfo2 {
            numberofvcs: t.connections,
            transportname: wstr(&t.name),
            transportaddress: Some(t.address.clone()),
            transportaddresslength: vec_len(t.address.len()),
            networkaddress: wstr(&t.network_address),
            domain: wstr(domain),
            flags: 0,
        })
        .collect();
    let total = vec_len(rows.len());
    let union = match level {
        0 => ServerXportEnumUnion::Level0(Some(ServerXportInfo0Container::of(
            rows.into_iter()
                .map(|r| ServerTransportInfo0 {
                    numberofvcs: r.numberofvcs,
                    transportname: r.transportname,
                    transportaddress: r.transportaddress,
                    transportaddresslength: r.transportaddresslength,
                    networkaddress: r.networkaddress,
                })
                .collect(),
        ))),
        1 => ServerXportEnumUnion::Level1(Some(ServerXportInfo1Container::of(
            rows.into_iter()
                .map(|r| ServerTransportInfo1 {
                    numberofvcs: r.numberofvcs,
                    transportname: r.transportname,
                    transportaddress: r.transportaddress,
                    transportaddresslength: r.transportaddresslength,
                    networkaddress: r.networkaddress,
                    domain: r.domain,
                })
                .collect(),
        ))),
        _ => ServerXportEnumUnion::Level2(Some(ServerXportInfo2Container::of(rows))),
    };
    let out = ServerXportEnumStruct { level, info: union };
    let response: TransportEnumResponse = (out, total, resume.map(|_| 0), ERROR_SUCCESS);
    Ok(ndr::to_bytes(&response))
}

ndr_struct! {
    /// CHARDEV_INFO_0 (the LAN Manager character device structures).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct CharDevInfo0 {
        /// ch0_dev.
        pub dev: WStrPtr,
    }
}

ndr_struct! {
    /// CHARDEV_INFO_1.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct CharDevInfo1 {
        /// ch1_dev.
        pub dev: WStrPtr,
        /// ch1_status.
        pub status: u32,
        /// ch1_username.
        pub username: WStrPtr,
        /// ch1_time.
        pub time: u32,
    }
}

container!(
    /// CHARDEV_INFO_0_CONTAINER.
    CharDevInfo0Container,
    CharDevInfo0
);
container!(
    /// CHARDEV_INFO_1_CONTAINER.
    CharDevInfo1Container,
    CharDevInfo1
);

level_union! {
    /// CHARDEV_ENUM_UNION.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum CharDevEnumUnion {
        /// Level 0.
        0 => Level0(CharDevInfo0Container),
        /// Level 1.
        1 => Level1(CharDevInfo1Container),
    }
}

ndr_struct! {
    /// CHARDEV_ENUM_STRUCT.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct CharDevEnumStruct {
        /// Level.
        pub level: u32,
        /// `[switch_is(Level)]` CharDevInfo.
        pub info: CharDevEnumUnion,
    }
}

ndr_struct! {
    /// CHARDEVQ_INFO_0.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct CharDevQInfo0 {
        /// cq0_dev.
        pub dev: WStrPtr,
    }
}

ndr_struct! {
    /// CHARDEVQ_INFO_1.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct CharDevQInfo1 {
        /// cq1_dev.
        pub dev: WStrPtr,
        /// cq1_priority.
        pub priority: u32,
        /// cq1_devs.
        pub devs: WStrPtr,
        /// cq1_numusers.
        pub numusers: u32,
        /// cq1_numahead.
        pub numahead: u32,
    }
}

container!(
    /// CHARDEVQ_INFO_0_CONTAINER.
    CharDevQInfo0Container,
    CharDevQInfo0
);
container!(
    /// CHARDEVQ_INFO_1_CONTAINER.
    CharDevQInfo1Container,
    CharDevQInfo1
);

level_union! {
    /// CHARDEVQ_ENUM_UNION.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum CharDevQEnumUnion {
        /// Level 0.
        0 => Level0(CharDevQInfo0Container),
        /// Level 1.
        1 => Level1(CharDevQInfo1Container),
    }
}

ndr_struct! {
    /// CHARDEVQ_ENUM_STRUCT.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct CharDevQEnumStruct {
        /// Level.
        pub level: u32,
        /// `[switch_is(Level)]` CharDevQInfo.
        pub info: CharDevQEnumUnion,
    }
}

/// NetrCharDevEnum's `[in]` parameters: ServerName, InfoStruct, PreferedMaximumLength,
/// ResumeHandle.
pub type CharDevEnumRequest = (WStrPtr, CharDevEnumStruct, u32, Option<u32>);
/// NetrCharDevEnum's `[out]` parameters and status.
pub type CharDevEnumResponse = (CharDevEnumStruct, u32, Option<u32>, u32);
/// NetrCharDevQEnum's `[in]` parameters: ServerName, UserName, InfoStruct,
/// PreferedMaximumLength, ResumeHandle.
pub type CharDevQEnumRequest = (WStrPtr, WStrPtr, CharDevQEnumStruct, u32, Option<u32>);
/// NetrCharDevQEnum's `[out]` parameters and status.
pub type CharDevQEnumResponse = (CharDevQEnumStruct, u32, Option<u32>, u32);

/// The status of an enumeration of nothing: refused callers, then the level.
fn empty_status(srv: &SrvsvcInterface, ctx: &CallContext, admin: bool, level: u32) -> u32 {
    if srv.refused(ctx) || (admin && !ctx.is_administrator()) {
        ERROR_ACCESS_DENIED
    } else if level > 1 {
        ERROR_INVALID_LEVEL
    } else {
        ERROR_SUCCESS
    }
}

/// NetrCharDevEnum: administrators only; no shared character devices.
pub(super) fn char_dev_enum(
    srv: &SrvsvcInterface,
    stub: &[u8],
    ctx: &CallContext,
) -> Result<Vec<u8>, FaultStatus> {
    let (_server, info, _max, resume): CharDevEnumRequest = ctx.decode(stub)?;
    let level = info.level;
    if info.info.level() != level {
        return Err(FaultStatus::BAD_STUB_DATA);
    }
    let status = empty_status(srv, ctx, true, level);
    let union = match level {
        0 if status == ERROR_SUCCESS => {
            CharDevEnumUnion::Level0(Some(CharDevInfo0Container::of(Vec::new())))
        }
        1 if status == ERROR_SUCCESS => {
            CharDevEnumUnion::Level1(Some(CharDevInfo1Container::of(Vec::new())))
        }
        other => CharDevEnumUnion::null(other),
    };
    let resume = if status == ERROR_SUCCESS {
        resume.map(|_| 0)
    } else {
        resume
    };
    let response: CharDevEnumResponse =
        (CharDevEnumStruct { level, info: union }, 0, resume, status);
    Ok(ndr::to_bytes(&response))
}

/// NetrCharDevQEnum: every authenticated caller; no character device queues.
pub(super) fn char_dev_q_enum(
    srv: &SrvsvcInterface,
    stub: &[u8],
    ctx: &CallContext,
) -> Result<Vec<u8>, FaultStatus> {
    let (_server, _user, info, _max, resume): CharDevQEnumRequest = ctx.decode(stub)?;
    let level = info.level;
    if info.info.level() != level {
        return Err(FaultStatus::BAD_STUB_DATA);
    }
    let status = empty_status(srv, ctx, false, level);
    let union = match level {
        0 if status == ERROR_SUCCESS => {
            CharDevQEnumUnion::Level0(Some(CharDevQInfo0Container::of(Vec::new())))
        }
        1 if status == ERROR_SUCCESS => {
            CharDevQEnumUnion::Level1(Some(CharDevQInfo1Container::of(Vec::new())))
        }
        other => CharDevQEnumUnion::null(other),
    };
    let resume = if status == ERROR_SUCCESS {
        resume.map(|_| 0)
    } else {
        resume
    };
    let response: CharDevQEnumResponse =
        (CharDevQEnumStruct { level, info: union }, 0, resume, status);
    Ok(ndr::to_bytes(&response))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(-1), (1969, 12, 31));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
        assert_eq!(civil_date(11_017), (2000, 3, 1));
        assert_eq!(civil_date(20_516), (2026, 3, 4));
    }

    #[test]
    fn time_of_day_fields() {
        // 2026-11-24 09:52:48.43 UTC, a Tuesday.
        let t = time_of_day(Duration::from_millis(1_795_513_968_430), 7);
        assert_eq!((t.year, t.month, t.day, t.weekday), (2026, 11, 24, 2));
        assert_eq!((t.hours, t.mins, t.secs, t.hunds), (9, 52, 48, 43));
        assert_eq!((t.elapsedt, t.msecs, t.timezone), (1_795_513_968, 7, 0));
    }
}
