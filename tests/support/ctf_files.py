"""Small CTF files for tests, written as text so each test shows the XML it feeds in."""

from __future__ import annotations

UPN_A, UPN_B = "C931400125001", "Y931400125006"

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<CTfile><Header><CTFversion>&lol9;</CTFversion></Header></CTfile>
"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE CTfile [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<CTfile><Header><CTFversion>&secret;</CTFversion></Header></CTfile>
"""


def year(start: str, marks: str, *, estab: str = "4001", totals: str = "") -> str:
    return f"""<YearData><Year>2025</Year><LEA>931</LEA><Estab>{estab}</Estab>{totals}
      <AttendSessions><AttendanceStartDate>{start}</AttendanceStartDate>
      <AttendanceMarks>{marks}</AttendanceMarks></AttendSessions></YearData>"""


def pupil_a(marks: str = "/\\NNH#", *, surname: str = "Able", totals: str = "") -> str:
    """A looked-after pupil with an EHCP, a medical flag, FSM and two contacts."""
    return f"""<Pupil>
      <UPN>{UPN_A}</UPN><Surname>{surname}</Surname><Forename>Sam</Forename>
      <DOB>2014-03-14</DOB>
      <BasicDetails><NCyearActual>7</NCyearActual><Ethnicity>WBRI</Ethnicity>
        <Languages><Type><LanguageType>F</LanguageType><Language>ENG</Language></Type></Languages>
        <MedicalFlag>true</MedicalFlag></BasicDetails>
      <LookedAfter><InCare>true</InCare><CareAuthority>931</CareAuthority></LookedAfter>
      <SENhistory>
        <SEN><StartDate>2022-09-01</StartDate><SENprovision>K</SENprovision></SEN>
        <SEN><StartDate>2024-09-01</StartDate><SENprovision>E</SENprovision></SEN>
      </SENhistory>
      <FSMhistory><FSMinstance><FSMstartDate>2024-01-10</FSMstartDate></FSMinstance></FSMhistory>
      <Address><BS7666Address><PAON>1</PAON><Street>High St</Street><Town>Synthetown</Town>
        </BS7666Address><PostCode>ST1 1AA</PostCode></Address>
      <Contacts>
        <Contact><Order>1</Order><Forename>Alex</Forename><Surname>Able</Surname>
          <Relationship>PAM</Relationship><Responsibility>true</Responsibility>
          <Phones><Phone><TelephoneType>M</TelephoneType><PhoneNo>07911 125001</PhoneNo></Phone>
          </Phones><Email>alex@example.org</Email></Contact>
        <Contact><Order>2</Order><Forename>Jo</Forename><Surname>Able</Surname>
          <Relationship>PAF</Relationship><Responsibility>false</Responsibility>
          <AddressAsPupil>true</AddressAsPupil></Contact>
      </Contacts>
      <Attendance>{year("2025-09-03", marks, totals=totals)}</Attendance>
    </Pupil>"""


def pupil_b(marks: str = "/,\\,C1,Y2,J,F") -> str:
    """A pupil whose marks come comma-separated (CTF 24), with two-character and legacy codes."""
    return f"""<Pupil>
      <UPN>{UPN_B}</UPN><Surname>Baker</Surname><Forename>Kim</Forename><DOB>2013-11-02</DOB>
      <BasicDetails><NCyearActual>8</NCyearActual></BasicDetails>
      <Attendance>{year("2025-09-03", marks)}</Attendance>
    </Pupil>"""


NO_UPN = (
    """<Pupil><Surname>Nobody</Surname><Forename>Ann</Forename><DOB>2014-01-01</DOB>
  <Attendance>"""
    + year("2025-09-03", "//")
    + """</Attendance></Pupil>"""
)


def ctf(
    *pupils: str, lea: str = "931", urn: str = "100001", when: str = "2025-09-10T16:00:00"
) -> bytes:
    """A whole file from school `urn` of LA `lea`."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<CTfile>
  <Header><DocumentName>Common Transfer File</DocumentName><CTFversion>24.0</CTFversion>
    <DateTime>{when}</DateTime>
    <SourceSchool><LEA>{lea}</LEA><Estab>4001</Estab><URN>{urn}</URN></SourceSchool>
  </Header>
  <CTFpupilData>{"".join(pupils)}</CTFpupilData>
</CTfile>
""".encode()


SCHOOLS_CSV = """urn,name,la_code,phase,am_register_closes,pm_register_closes
100001,School 100001,931,secondary,09:15,13:45
"""
