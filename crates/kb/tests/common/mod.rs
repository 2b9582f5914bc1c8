//! Fixture help centers written into temporary folders.

#![allow(dead_code)]

use std::path::Path;

/// Writes `text` to `dir/rel`, creating folders as needed.
pub fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create fixture folder");
    }
    std::fs::write(path, text).expect("write fixture file");
}

/// A small help center with the same topics in English and Korean.
pub fn bilingual(dir: &Path) {
    write(
        dir,
        "account/reset-password-en.md",
        "---\nid: reset-password-en\ntitle: Reset your password\nlocale: en\ntags: [account, sign in]\n---\n\
         If you forgot your password you can choose a new one yourself.\n\n\
         ## Reset it from the sign-in page\n\n\
         1. Open the sign-in page and click **Forgot password**.\n\
         2. Enter the email address of your account.\n\
         3. Open the email we send you and follow the link.\n\
         4. Choose a new password of at least 12 characters.\n\
         5. Sign in with the new password.\n\n\
         ## If the email never arrives\n\n\
         1. Check your spam and junk folders.\n\
         2. Make sure you typed the address you signed up with.\n\
         3. Ask for a new email after five minutes.\n",
    );
    write(
        dir,
        "account/reset-password-ko.md",
        "---\nid: reset-password-ko\ntitle: 비밀번호 재설정하기\nlocale: ko\ntags: [계정, 로그인]\n---\n\
         비밀번호를 잊어버렸다면 직접 새 비밀번호를 만들 수 있어요.\n\n\
         ## 로그인 화면에서 재설정하기\n\n\
         1. 로그인 화면에서 **비밀번호 찾기**를 누르세요.\n\
         2. 계정의 이메일 주소를 입력하세요.\n\
         3. 받은 메일의 링크를 여세요.\n\
         4. 12자 이상의 새 비밀번호를 정하세요.\n\n\
         ## 메일이 오지 않을 때\n\n\
         1. 스팸함을 확인하세요.\n\
         2. 가입할 때 쓴 주소인지 확인하세요.\n",
    );
    write(
        dir,
        "talk-to-an-agent-en.md",
        "---\ntitle: Talk to a support agent\nlocale: en\n---\n\
         The bot answers first, but you can reach a human agent at any time.\n\n\
         ## Reach a person\n\n\
         1. Write \"talk to an agent\" in the conversation.\n\
         2. Answer the two short questions about your problem.\n\
         3. Wait for the agent's reply in the same conversation.\n",
    );
    write(
        dir,
        "talk-to-an-agent-ko.md",
        "---\ntitle: 상담사와 이야기하기\n---\n\
         봇이 먼저 답하지만 언제든 상담사와 이야기할 수 있어요.\n\n\
         ## 상담사 연결하기\n\n\
         1. 대화창에 \"상담사에게 문의\"라고 입력하세요.\n\
         2. 문제에 대한 짧은 질문 두 개에 답하세요.\n\
         3. 같은 대화에서 상담사의 답변을 기다리세요.\n",
    );
    write(
        dir,
        "attachments-en.md",
        "---\ntitle: Send files and screenshots\n---\n\
         You can attach files to your conversation so the agent sees the problem.\n\n\
         ## Attach a file\n\n\
         1. Drag the file into the chat, or use the paperclip button.\n\
         2. Add a sentence that explains what the file shows.\n\n\
         ## Limits\n\n\
         Files up to 20 MB are accepted. Images, PDF and text logs work best.\n",
    );
    write(
        dir,
        "attachments-ko.md",
        "---\ntitle: 파일과 스크린샷 보내기\n---\n\
         대화에 파일을 첨부하면 상담사가 문제를 바로 볼 수 있어요.\n\n\
         ## 파일 첨부하기\n\n\
         1. 파일을 채팅 창으로 끌어 놓거나 클립 버튼을 누르세요.\n\
         2. 파일이 무엇을 보여 주는지 한 문장으로 적어 주세요.\n\n\
         ## 용량 제한\n\n\
         20MB까지 보낼 수 있어요. 이미지, PDF, 텍스트 로그가 가장 좋아요.\n",
    );
}
